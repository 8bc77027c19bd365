"""T2 ticket codes (Ed25519), their rotating TOTP part and the door's verdict: pure CPU."""

from __future__ import annotations

import json
import uuid

import pyotp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.tickets import codes, door

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
PRIVATE = Ed25519PrivateKey.generate()
PUBLIC_RAW = codes.public_key_raw(PRIVATE.public_key())
KID = codes.key_id(PUBLIC_RAW)
KEYS = {KID: PRIVATE.public_key()}
EVENT = str(uuid.uuid4())
ROTATION_KEY = codes.rotation_key(b"s" * 32)


def claim(**over: object) -> codes.TicketClaim:
    fields: dict[str, object] = {
        "kid": KID,
        "ticket_id": str(uuid.uuid4()),
        "event_id": EVENT,
        "section": "FLOOR",
        "seq": 2,
    }
    fields.update(over)
    return codes.TicketClaim(**fields)  # type: ignore[arg-type]


def test_round_trip_and_layout() -> None:
    c = claim()
    code = codes.sign_code(PRIVATE, c)
    version, payload, signature = code.split(".")
    assert version == "T2"
    assert len(signature) == 86
    assert json.loads(codes._b64url_decode(payload)) == [
        KID,
        c.ticket_id,
        EVENT,
        "FLOOR",
        2,
    ]
    # The signature covers exactly the ASCII bytes "T2.<payload>".
    PRIVATE.public_key().verify(codes._b64url_decode(signature), f"T2.{payload}".encode())
    parsed = codes.verify(code, KEYS)
    assert parsed.claim == c
    assert parsed.signed == code
    assert parsed.totp is None
    assert codes.verify(f" {code}\n", KEYS).claim == c  # scanners add white space at the ends


def test_forged_or_malformed_codes() -> None:
    code = codes.sign_code(PRIVATE, claim())
    version, payload, signature = code.split(".")
    other_payload = codes.sign_code(PRIVATE, claim()).split(".")[1]
    stranger = Ed25519PrivateKey.generate()
    forged = codes.sign_code(stranger, claim())  # same kid named, another key signed
    reasons = {}
    for name, text in {
        "other payload": f"{version}.{other_payload}.{signature}",
        "T1": f"T1.{payload}.{signature}",
        "lower t": f"t2.{payload}.{signature}",
        "no signature": f"{version}.{payload}",
        "short signature": f"{version}.{payload}.{signature[:-2]}",
        "bang": f"{version}.{payload}.!!",
        "inner space": f"{version}.{payload} .{signature}",
        "empty": "",
        "forged": forged,
        "five digits": f"{code}.12345",
        "letters": f"{code}.12345a",
    }.items():
        with pytest.raises(codes.BadCode) as err:
            codes.verify(text, KEYS)
        reasons[name] = err.value.reason
    assert reasons["forged"] == "signature"
    assert reasons["other payload"] == "signature"
    unknown = codes.sign_code(PRIVATE, claim(kid="AAAAAAAA"))
    with pytest.raises(codes.BadCode, match="unknown_key"):
        codes.verify(unknown, KEYS)


def test_one_spelling_per_code() -> None:
    """Every other spelling of a genuine code (spare bits, the other base64 alphabet,
    padding, case) is refused: a door that keys on the string cannot be fooled."""
    for _ in range(10):
        code = codes.sign_code(PRIVATE, claim())
        version, payload, signature = code.split(".")
        variants = {f"{version}.{payload}.{signature[:-1]}{ch}" for ch in ALPHABET}
        variants |= {f"{version}.{payload[:-1]}{ch}.{signature}" for ch in ALPHABET}
        variants |= {
            f"{version}.{payload}.{signature}==",
            f"{version}.{payload}=.{signature}",
            f"{version}.{payload}.{signature.replace('-', '+').replace('_', '/')}",
            f"{version}.{payload}.{signature.swapcase()}",
            f"{version}.{payload.swapcase()}.{signature}",
            code.lower(),
            code.upper(),
        }
        variants.discard(code)
        accepted = []
        for text in variants:
            try:
                codes.verify(text, KEYS)
            except codes.BadCode:
                continue
            accepted.append(text)
        assert accepted == []


def test_every_changed_character_is_refused() -> None:
    code = codes.sign_code(PRIVATE, claim())
    for i, ch in enumerate(code):
        for replacement in {"A", "B", "_", "0", "."} - {ch}:
            changed = code[:i] + replacement + code[i + 1 :]
            with pytest.raises(codes.BadCode):
                codes.verify(changed, KEYS)


def test_totp_is_rfc_6238_with_a_15_s_step() -> None:
    secret = codes.rotation_secret(ROTATION_KEY, "T2.x.y")
    assert len(secret) == 20
    b32 = codes.secret_b32(secret)
    assert len(b32) == 32
    assert "=" not in b32
    assert codes.secret_from_b32(b32) == secret
    reference = pyotp.TOTP(b32, digits=6, interval=15)
    for t in (0, 14.9, 15, 1_765_000_000, 1_765_000_007.5):
        assert codes.totp_at_step(secret, codes.step_at(t)) == reference.at(t)
    # RFC 4226 appendix D: HOTP of the ASCII secret "12345678901234567890".
    rfc = b"12345678901234567890"
    assert [codes.totp_at_step(rfc, c) for c in range(3)] == ["755224", "287082", "359152"]


def test_totp_window_is_one_step_either_side() -> None:
    # A fixed secret and clock: deterministic, so no chance collision of six digits.
    secret = codes.rotation_secret(ROTATION_KEY, "T2.a.b")
    t = 1_765_000_005.0  # 5 s into its step
    shown = codes.totp_at_step(secret, codes.step_at(t))
    assert codes.totp_fresh(secret, shown, t)
    assert codes.totp_fresh(secret, shown, t + 15)  # the scanner's clock a step ahead
    assert codes.totp_fresh(secret, shown, t - 15)  # or behind
    assert not codes.totp_fresh(secret, shown, t + 30)  # a screenshot 30-45 s on: dead
    assert not codes.totp_fresh(secret, shown, t - 30)
    assert not codes.totp_fresh(secret, shown, t + 3600)


def test_rotation_secrets_differ_per_code_and_key() -> None:
    a = codes.sign_code(PRIVATE, claim())
    b = codes.sign_code(PRIVATE, claim())
    assert codes.rotation_secret(ROTATION_KEY, a) != codes.rotation_secret(ROTATION_KEY, b)
    other_key = codes.rotation_key(b"t" * 32)
    assert codes.rotation_secret(ROTATION_KEY, a) != codes.rotation_secret(other_key, a)


def _secret_of(parsed: codes.Parsed) -> bytes:
    return codes.rotation_secret(ROTATION_KEY, parsed.signed)


def verdict(code: str, *, static_codes: bool = False, now: float = 1_765_000_000.0) -> str:
    v, _ = door.check(
        code,
        event_id=EVENT,
        public_keys=KEYS,
        secret_of=_secret_of,
        static_codes=static_codes,
        now=now,
    )
    return v


def test_door_verdicts() -> None:
    now = 1_765_000_000.0
    signed = codes.sign_code(PRIVATE, claim())
    secret = codes.rotation_secret(ROTATION_KEY, signed)
    live = codes.rotating_code(signed, secret, now)
    assert verdict(live, now=now) == "ok"
    assert verdict(live, now=now + 15) == "ok"
    assert verdict(live, now=now + 45) == "stale"  # a screenshot, 45 s later
    assert verdict(signed) == "stale"  # a bare code needs static codes allowed
    assert verdict(signed, static_codes=True) == "ok"
    digits = live[-6:]
    wrong = live[:-6] + f"{(int(digits) + 1) % 1_000_000:06d}"
    assert verdict(wrong, now=now) == "stale"
    assert verdict(live[:5] + ("A" if live[5] != "A" else "B") + live[6:], now=now) == "invalid"
    elsewhere = codes.sign_code(PRIVATE, claim(event_id=str(uuid.uuid4())))
    assert verdict(elsewhere, static_codes=True) == "wrong_event"
    assert verdict("not a code") == "invalid"


def test_public_keys_from_a_scanner_key_answer_or_lines() -> None:
    b64 = codes.b64url(PUBLIC_RAW)
    answer = json.dumps({"keys": [{"kid": "ignored", "alg": "Ed25519", "public_key": b64}]})
    assert list(codes.parse_public_keys(answer)) == [KID]
    assert list(codes.parse_public_keys(f"\n{b64}\n")) == [KID]
    with pytest.raises(ValueError):
        codes.parse_public_keys(b64[:-2])
    with pytest.raises(ValueError):
        codes.parse_public_keys('{"nope": 1}')
