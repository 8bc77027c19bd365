"""The standalone room's two cookies, HMAC-signed: a fan's place in its line, and a pass
through the gate.

Both are checked on the CPU alone (no Redis), so the gate's check, which nginx asks on every
request to the protected origin, costs no round trip for a fan who holds a pass.
"""

from __future__ import annotations

import msgspec

from app.core.signed import BadCode, SignedCodec

PLACE_COOKIE = "onsale_room_place"
PASS_COOKIE = "onsale_room_pass"
# A place outlives any sensible wait; a fan who comes back after it queues again.
PLACE_TTL_S = 6 * 3600


class Place(msgspec.Struct, frozen=True, array_like=True):
    """The fan's number in the room's line (1, 2, ...), and until when it counts."""

    seq: int
    expires_at_ms: int


class Pass(msgspec.Struct, frozen=True, array_like=True):
    """Through the gate until then."""

    expires_at_ms: int


_PLACE = SignedCodec(Place, version="v1", purpose="room-place:v1", sig_bytes=16)
_PASS = SignedCodec(Pass, version="v1", purpose="room-pass:v1", sig_bytes=16)


def place(secret: str, seq: int, now_ms: int) -> str:
    return _PLACE.sign(secret, Place(seq=seq, expires_at_ms=now_ms + PLACE_TTL_S * 1000))


def place_of(secret: str, code: str | None, now_ms: int) -> int | None:
    """The place a genuine, unexpired place cookie names; None otherwise."""
    if not code:
        return None
    try:
        claim = _PLACE.verify(secret, code)
    except BadCode:
        return None
    if claim.expires_at_ms <= now_ms or claim.seq < 1:
        return None
    return claim.seq


def grant(secret: str, now_ms: int, ttl_s: int) -> str:
    return _PASS.sign(secret, Pass(expires_at_ms=now_ms + ttl_s * 1000))


def holds_pass(secret: str, code: str | None, now_ms: int) -> bool:
    """Whether a pass cookie is genuine and unexpired."""
    if not code:
        return False
    try:
        claim = _PASS.verify(secret, code)
    except BadCode:
        return False
    return claim.expires_at_ms > now_ms
