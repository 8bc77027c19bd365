"""Account links sent by email: password reset (short life, single use) and email verification.

Both are signed codes (app.core.signed), minted when the email is written, so no
usable link is ever stored. A reset link carries a fingerprint of the password
hash it was made for: once the password changes (the link was used, or the fan
changed it otherwise) the fingerprint no longer matches and every older link is
void. A verification link carries the address it was sent to: after an address
change it verifies nothing.
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import quote

import msgspec

from app.core.errors import AppError
from app.core.signed import BadCode, SignedCodec

RESET_TTL_S = 30 * 60
VERIFY_TTL_S = 7 * 86400
RESET_PATH = "/reset"
VERIFY_PATH = "/verify"


class ResetClaim(msgspec.Struct, array_like=True, frozen=True):
    user_id: str
    expires: int
    fingerprint: str


class VerifyClaim(msgspec.Struct, array_like=True, frozen=True):
    user_id: str
    email: str
    expires: int


RESET = SignedCodec(ResetClaim, version="r1", purpose="password-reset")
VERIFY = SignedCodec(VerifyClaim, version="e1", purpose="email-verify")


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def link_invalid() -> AppError:
    return AppError(
        "link_invalid",
        400,
        "Link not valid",
        "This link is not valid any more: ask for a new one",
    )


def reset_token(secret: str, user_id: str, password_hash: str, now: float | None = None) -> str:
    expires = int(now if now is not None else time.time()) + RESET_TTL_S
    return RESET.sign(secret, ResetClaim(user_id, expires, fingerprint(password_hash)))


def verify_token(secret: str, user_id: str, email: str, now: float | None = None) -> str:
    expires = int(now if now is not None else time.time()) + VERIFY_TTL_S
    return VERIFY.sign(secret, VerifyClaim(user_id, email, expires))


def read_reset(secret: str, token: str) -> ResetClaim:
    try:
        claim = RESET.verify(secret, token)
    except BadCode:
        raise link_invalid() from None
    if claim.expires <= time.time():
        raise link_invalid()
    return claim


def read_verify(secret: str, token: str) -> VerifyClaim:
    try:
        claim = VERIFY.verify(secret, token)
    except BadCode:
        raise link_invalid() from None
    if time.time() >= claim.expires:
        raise link_invalid()
    return claim


def url(public_url: str, path: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{path}?token={quote(token, safe='')}"
