"""Admission tokens: HMAC-signed, bound to account, event, session and expiry.

Format: ``v1.<payload>.<signature>`` (app.core.signed). The payload is the
msgspec-JSON of `Admission`; the signature is HMAC-SHA256 with a key derived
from ONSALE_SECRET_KEY for this purpose only. Verification is pure CPU (about
5 µs); whether the session was revoked (DELETE /queue, expiry) is checked in
Redis by the caller, inside the same Lua script that takes the seats.
"""

from __future__ import annotations

import msgspec

from app.core.clock import now_ms as clock_ms
from app.core.errors import AppError
from app.core.i18n import N_
from app.core.signed import BadCode, SignedCodec


class Admission(msgspec.Struct, frozen=True, array_like=True):
    """What an admission token proves (array_like keeps tokens short).

    In an event sold in phases, the token also names the phase the fan entered in,
    with that phase's sections (empty: all) and per-account ticket limit (0: the
    event's), so the hold path checks them on the CPU, with no read of its own.
    Without a phase the token carries the first four fields only (`_Plain`), as it
    always did: its size and its signature are unchanged for events without phases.
    """

    event_id: str
    user_id: str
    session_id: str
    expires_at_ms: int
    phase_id: str = ""
    sections: tuple[str, ...] = ()
    max_per_user: int = 0


class _Plain(msgspec.Struct, frozen=True, array_like=True):
    event_id: str
    user_id: str
    session_id: str
    expires_at_ms: int


_CODEC = SignedCodec(Admission, version="v1", purpose="admission-token:v1")
_PLAIN = SignedCodec(_Plain, version="v1", purpose="admission-token:v1")

# Tokens this process found genuine: a shopper sends the same token with every
# request, and the signature check (two HMACs, base64 both ways, a JSON decode)
# was the largest share of the hold path's own CPU after Redis. Keyed by the
# exact token text and the secret, so a hit proves what a verification would;
# event, account and expiry are still checked on every request.
_GENUINE: dict[tuple[str, str], Admission] = {}
_GENUINE_MAX = 50_000


def not_admitted(detail: str = N_("A valid admission token is required")) -> AppError:
    return AppError("not_admitted", 403, "Not admitted", detail)


def admission_expired() -> AppError:
    return AppError(
        "admission_expired",
        403,
        "Admission expired",
        "Your shopping session has ended; rejoin the queue",
    )


def issue(secret: str, admission: Admission) -> str:
    if not admission.phase_id:
        a = admission
        return _PLAIN.sign(secret, _Plain(a.event_id, a.user_id, a.session_id, a.expires_at_ms))
    return _CODEC.sign(secret, admission)


def verify(
    secret: str, token: str | None, *, event_id: str, user_id: str, now_ms: int | None = None
) -> Admission:
    """The token's admission, or AppError not_admitted / admission_expired."""
    if not token:
        raise not_admitted("X-Admission-Token header is missing")
    admission = _GENUINE.get((secret, token))
    if admission is None:
        try:
            admission = _CODEC.verify(secret, token)
        except BadCode as exc:
            if exc.reason == "signature":
                raise not_admitted("Admission token signature is invalid") from None
            raise not_admitted("Malformed admission token") from None
        if len(_GENUINE) >= _GENUINE_MAX:
            _GENUINE.clear()
        _GENUINE[(secret, token)] = admission
    if admission.event_id != event_id:
        raise not_admitted("Admission token is for another event")
    if admission.user_id != user_id:
        raise not_admitted("Admission token belongs to another account")
    if admission.expires_at_ms <= (clock_ms() if now_ms is None else now_ms):
        raise admission_expired()
    return admission
