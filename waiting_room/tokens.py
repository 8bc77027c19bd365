"""Admission tokens: HMAC-signed, bound to account, event, session and expiry.

Format: ``v1.<payload>.<signature>``, both parts base64url. The payload is the
msgspec-JSON of `Admission`; the signature is HMAC-SHA256 with a key derived
from ONSALE_SECRET_KEY for this purpose only. Verification is pure CPU (about
5 µs); whether the session was revoked (DELETE /queue, expiry) is checked in
Redis by the caller, inside the same Lua script that takes the seats.
"""

from __future__ import annotations

import binascii
import time

import msgspec

from app.core.errors import AppError
from app.core.security import b64url, b64url_decode, hmac_sign, hmac_verify

_PURPOSE = "admission-token:v1"


class Admission(msgspec.Struct, frozen=True, array_like=True):
    """What an admission token proves (array_like keeps tokens short)."""

    event_id: str
    user_id: str
    session_id: str
    expires_at_ms: int


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Admission)


def not_admitted(detail: str = "A valid admission token is required") -> AppError:
    return AppError("not_admitted", 403, "Not admitted", detail)


def admission_expired() -> AppError:
    return AppError(
        "admission_expired",
        403,
        "Admission expired",
        "Your shopping session has ended; rejoin the queue",
    )


def issue(secret: str, admission: Admission) -> str:
    payload = _encoder.encode(admission)
    return "v1." + b64url(payload) + "." + b64url(hmac_sign(secret, _PURPOSE, payload))


def verify(
    secret: str, token: str | None, *, event_id: str, user_id: str, now_ms: int | None = None
) -> Admission:
    """The token's admission, or AppError not_admitted / admission_expired."""
    if not token:
        raise not_admitted("X-Admission-Token header is missing")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != "v1":
        raise not_admitted("Malformed admission token")
    try:
        payload = b64url_decode(parts[1])
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        raise not_admitted("Malformed admission token") from None
    if not hmac_verify(secret, _PURPOSE, payload, signature):
        raise not_admitted("Admission token signature is invalid")
    try:
        admission = _decoder.decode(payload)
    except msgspec.DecodeError:
        raise not_admitted("Malformed admission token") from None
    if admission.event_id != event_id:
        raise not_admitted("Admission token is for another event")
    if admission.user_id != user_id:
        raise not_admitted("Admission token belongs to another account")
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if admission.expires_at_ms <= now_ms:
        raise admission_expired()
    return admission
