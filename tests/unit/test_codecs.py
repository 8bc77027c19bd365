"""Hold ids, admission tokens and the signed codec under both: pure CPU."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from app.core.errors import AppError
from app.core.security import b64url, hmac_sign
from app.core.signed import BadCode, SignedCodec
from app.holds.ids import event_of_hold, event_of_path, new_hold_id
from waiting_room import tokens

SECRET = "unit-test-secret-0123456789abcdef0123456789abcdef"


def test_hold_id_carries_its_event() -> None:
    event_id = str(uuid.uuid4())
    hold_id = new_hold_id(event_id)
    assert len(hold_id) == 49
    assert hold_id.startswith("h")
    assert event_of_hold(hold_id) == event_id
    assert new_hold_id(event_id) != hold_id


@pytest.mark.parametrize(
    "text",
    [
        "",
        "h",
        "x" + "0" * 48,
        "h" + "g" * 48,
        "h" + "0" * 47,
        "79f2f11e-38da-44eb-8242-41d2686cc815",
    ],
)
def test_not_a_hold_id(text: str) -> None:
    assert event_of_hold(text) is None


def test_event_of_path() -> None:
    event_id = str(uuid.uuid4())
    assert event_of_path({"event_id": event_id}) == event_id
    assert event_of_path({"hold_id": new_hold_id(event_id)}) == event_id
    assert event_of_path({"hold_id": "nope"}) is None
    assert event_of_path({}) is None


def admission(**over: object) -> tokens.Admission:
    fields: dict[str, object] = {
        "event_id": "e1",
        "user_id": "u1",
        "session_id": "s1",
        "expires_at_ms": 2_000,
    }
    fields.update(over)
    return tokens.Admission(**fields)  # type: ignore[arg-type]


def refusal(token: str | None, now_ms: int = 1_000, **bound: str) -> AppError:
    with pytest.raises(AppError) as caught:
        tokens.verify(
            SECRET,
            token,
            event_id=bound.get("event_id", "e1"),
            user_id=bound.get("user_id", "u1"),
            now_ms=now_ms,
        )
    return caught.value


def test_admission_token_round_trip() -> None:
    token = tokens.issue(SECRET, admission())
    assert token.startswith("v1.")
    assert tokens.verify(SECRET, token, event_id="e1", user_id="u1", now_ms=1_000) == admission()


def test_admission_token_refusals() -> None:
    token = tokens.issue(SECRET, admission())
    _, payload, signature = token.split(".")
    assert refusal(None).detail == "X-Admission-Token header is missing"
    assert refusal("v2." + payload + "." + signature).detail == "Malformed admission token"
    assert refusal("v1.a." + signature).detail == "Malformed admission token"
    forged = tokens.issue("other-secret", admission()).split(".")[2]
    assert refusal(f"v1.{payload}.{forged}").detail == "Admission token signature is invalid"
    assert refusal(token, event_id="e2").detail == "Admission token is for another event"
    assert refusal(token, user_id="u2").detail == "Admission token belongs to another account"
    expired = refusal(token, now_ms=2_000)
    assert (expired.code, expired.status) == ("admission_expired", 403)
    assert refusal(token, event_id="e2").code == "not_admitted"


class Pair(msgspec.Struct, array_like=True):
    a: str
    b: int


def test_signed_codec_reasons() -> None:
    codec = SignedCodec(Pair, version="P1", purpose="unit:v1", sig_bytes=8)
    code = codec.sign(SECRET, Pair("x", 1))
    assert codec.verify(SECRET, code) == Pair("x", 1)
    _, _, signature = code.split(".")
    not_a_pair = b64url(b'{"not": "an array"}')
    for text, reason in [
        ("P1.x", "malformed"),
        ("P0." + code[3:], "malformed"),
        (f"P1.{b64url(b'[1,2]')}.{signature}", "signature"),
    ]:
        with pytest.raises(BadCode) as caught:
            codec.verify(SECRET, text)
        assert caught.value.reason == reason
    # A genuine signature over a payload of the wrong shape is still malformed.
    forged_ok = b64url(hmac_sign(SECRET, "unit:v1", b'{"not": "an array"}')[:8])
    with pytest.raises(BadCode) as caught:
        codec.verify(SECRET, f"P1.{not_a_pair}.{forged_ok}")
    assert caught.value.reason == "malformed"
    # Purposes never cross: the same payload signed for another purpose fails.
    other = SignedCodec(Pair, version="P1", purpose="unit:v2", sig_bytes=8)
    with pytest.raises(BadCode):
        other.verify(SECRET, code)


def test_signed_codes_have_one_spelling() -> None:
    """Finding 15: the last base64 character carries spare bits; flipping them (or spelling a
    character in the standard alphabet, or padding) gives another string that must not verify
    (admission tokens and every other SignedCodec code)."""
    codec = SignedCodec(Pair, version="P1", purpose="unit:v1", sig_bytes=16)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for n in range(20):  # signatures whose last character has spare bits, and ones without
        code = codec.sign(SECRET, Pair(uuid.uuid4().hex, n))
        version, payload, signature = code.split(".")
        variants = {f"{version}.{payload}.{signature[:-1]}{ch}" for ch in alphabet}
        variants |= {f"{version}.{payload[:-1]}{ch}.{signature}" for ch in alphabet}
        variants.add(f"{version}.{payload}.{signature}==")
        variants.add(f"{version}.{payload}=.{signature}")
        variants.add(f"{version}.{payload}.{signature.replace('-', '+').replace('_', '/')}")
        variants.discard(code)
        accepted = []
        for text in variants:
            try:
                codec.verify(SECRET, text)
            except BadCode:
                continue
            accepted.append(text)
        assert accepted == []
