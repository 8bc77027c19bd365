"""The standalone room's cookies: a place and a pass verify only as themselves, only with
the deployment's secret, only until they expire."""

from __future__ import annotations

from app.core.signed import SignedCodec
from app.gate import passes

SECRET = "room-test-secret"


def test_a_pass_holds_until_it_expires_and_only_with_the_secret() -> None:
    code = passes.grant(SECRET, 1_000, ttl_s=60)
    assert passes.holds_pass(SECRET, code, 1_000)
    assert passes.holds_pass(SECRET, code, 60_999)
    assert not passes.holds_pass(SECRET, code, 61_000)
    assert not passes.holds_pass(SECRET + "x", code, 1_000)
    assert not passes.holds_pass(SECRET, None, 1_000)
    assert not passes.holds_pass(SECRET, code[:-2] + "AA", 1_000)


def test_a_place_is_not_a_pass_and_a_pass_is_not_a_place() -> None:
    place = passes.place(SECRET, 7, 1_000)
    assert passes.place_of(SECRET, place, 2_000) == 7
    assert not passes.holds_pass(SECRET, place, 2_000)
    assert passes.place_of(SECRET, passes.grant(SECRET, 1_000, 60), 2_000) is None
    assert passes.place_of(SECRET, place, 1_000 + passes.PLACE_TTL_S * 1000) is None
    assert passes.place_of(SECRET + "x", place, 2_000) is None
    assert passes.place_of(SECRET, "v1.garbage.sig", 2_000) is None
    # Signed for the room's places, a pass-shaped claim is still no pass: each cookie has a
    # key of its own, not just a shape of its own.
    as_place = SignedCodec(passes.Pass, version="v1", purpose="room-place:v1", sig_bytes=16)
    forged = as_place.sign(SECRET, passes.Pass(expires_at_ms=10**13))
    assert not passes.holds_pass(SECRET, forged, 2_000)
