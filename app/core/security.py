"""Password hashing (argon2), user access tokens (JWT, HS256) and HMAC signing."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import time
from typing import Any

import jwt
import msgspec
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2id at one of OWASP's equivalent recommended settings (9 MiB, t=4, p=1) instead of
# argon2-cffi's defaults (64 MiB, t=3, p=4). OWASP lists 19 MiB t=2, 12 MiB t=3, 9 MiB t=4
# and 7 MiB t=5 as giving the same defence; on this 2-core machine 9 MiB t=4 costs the least
# CPU per verify (23 ms against 29 ms for 19 MiB t=2, measured side by side at load
# average 8), and a login storm is bounded by that CPU (docs/operators/security.md). Hashes made
# with other parameters still verify and are rehashed at the next login.
ARGON2_MEMORY_KIB = 9 * 1024
ARGON2_TIME_COST = 4
ARGON2_PARALLELISM = 1
_hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    type=Type.ID,
)

ACCESS_AUDIENCE = "onsale:access"


class Principal(msgspec.Struct, frozen=True):
    """Who is calling: taken from a verified access token, no database round trip."""

    user_id: str
    roles: tuple[str, ...]
    # The sign-in session this token belongs to (ends on logout, refresh-token
    # reuse or a password change); "" for tokens minted outside a session.
    session_id: str = ""

    def has(self, role: str) -> bool:
        return role in self.roles or "admin" in self.roles


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def issue_access_token(
    secret: str, principal: Principal, ttl_s: int, *, issued_at: int | None = None
) -> str:
    """A signed access token; `issued_at` (epoch seconds) makes it reproducible."""
    now = int(time.time()) if issued_at is None else issued_at
    claims = {
        "sub": principal.user_id,
        "roles": list(principal.roles),
        # A token minted outside a sign-in session still gets its own id, so
        # every token can be revoked the same way.
        "sid": principal.session_id or secrets.token_urlsafe(12),
        "aud": ACCESS_AUDIENCE,
        "iat": now,
        "exp": now + ttl_s,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


# Tokens this process verified, until their expiry: a fan's every request
# carries the same token, and PyJWT's decode costs ~50 µs of the hot path.
# Keyed by the exact token bytes and secret, so a hit proves what a decode would.
_VERIFIED: dict[tuple[str, str], tuple[Principal, float]] = {}
_VERIFIED_MAX = 50_000


def read_access_token(secret: str, token: str) -> Principal | None:
    cached = _VERIFIED.get((secret, token))
    if cached is not None and cached[1] > time.time():
        return cached[0]
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=ACCESS_AUDIENCE,
            # A token without an expiry would be valid forever.
            options={"require": ["exp", "iat", "sub", "aud", "sid"]},
        )
    except jwt.PyJWTError:
        return None
    sub = claims.get("sub")
    roles = claims.get("roles")
    sid = claims.get("sid")
    if not isinstance(sub, str) or not isinstance(roles, list) or not isinstance(sid, str):
        return None
    principal = Principal(user_id=sub, roles=tuple(str(r) for r in roles), session_id=sid)
    exp = claims.get("exp")
    if isinstance(exp, int | float):
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[(secret, token)] = (principal, float(exp))
    return principal


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.lru_cache(maxsize=64)
def _purpose_key(secret: str, purpose: str) -> bytes:
    # A handful of (secret, purpose) pairs per process: derived once, not per signature.
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def hmac_sign(secret: str, purpose: str, message: bytes) -> bytes:
    """HMAC-SHA256 with a per-purpose derived key, so signatures never cross uses."""
    return hmac.digest(_purpose_key(secret, purpose), message, "sha256")
