"""The door's verdict on a code, from the public key alone: what a scanner runs offline and
what the server runs before it looks at the record.

The scanner's order of checks: well-formed and signed by a key of the event
(else invalid), for this event (else wrong_event), then fresh: a rotating code's
digits within one 15 s step of now, or a bare signed code only where the event
allows static codes (else stale). Whether the ticket was voided or is already
inside is for the record (online) or the offline copy (checkin-data) to say.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.tickets import codes

Verdict = Literal["ok", "invalid", "wrong_event", "stale"]


def check(
    code: str,
    *,
    event_id: str,
    public_keys: dict[str, Ed25519PublicKey],
    secret_of: Callable[[codes.Parsed], bytes | None],
    static_codes: bool,
    now: float,
) -> tuple[Verdict, codes.Parsed | None]:
    """(verdict, the parsed code when it is well-formed)."""
    try:
        parsed = codes.parse(code)
    except codes.BadCode:
        return "invalid", None
    if parsed.claim.event_id != event_id:
        # Another event's key is not at this door: the caller may check it (online).
        return "wrong_event", parsed
    key = public_keys.get(parsed.claim.kid)
    if key is None:
        return "invalid", parsed
    try:
        codes.check_signature(key, parsed)
    except codes.BadCode:
        return "invalid", parsed
    return fresh(parsed, secret_of=secret_of, static_codes=static_codes, now=now), parsed


def fresh(
    parsed: codes.Parsed,
    *,
    secret_of: Callable[[codes.Parsed], bytes | None],
    static_codes: bool,
    now: float,
) -> Verdict:
    """ok or stale: the rotating digits are current, or a static code is allowed."""
    if parsed.totp is None:
        return "ok" if static_codes else "stale"
    secret = secret_of(parsed)
    if secret is None or not codes.totp_fresh(secret, parsed.totp, now):
        return "stale"
    return "ok"
