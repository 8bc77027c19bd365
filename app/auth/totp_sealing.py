"""Authenticator secrets sealed at rest (app.core.sealed), each bound to its user.

The key is derived from ONSALE_TOTP_KEY, else ONSALE_SECRET_KEY, for this
purpose only. The user id is the sealed value's context: a row copied onto
another account does not open there, so it yields no valid code.
Rows from before 0008_totp_sealed hold the secret in plain text; the API seals
them all at start (`seal_plain_secrets`) and any one it meets later on use.
"""

from __future__ import annotations

import logging
import uuid
from functools import lru_cache

import asyncpg

from app.auth import totp_repo
from app.auth.totp_repo import Conn, TotpRow
from app.core.sealed import BadSeal, Sealer
from app.core.settings import Settings

log = logging.getLogger("onsale.auth.totp")

PURPOSE = "onsale:totp-secret"


@lru_cache(maxsize=4)
def _sealer(key: str) -> Sealer:
    return Sealer(key, PURPOSE)


def sealer(settings: Settings) -> Sealer:
    return _sealer(settings.totp_key or settings.secret_key)


def _context(user_id: str) -> bytes:
    return uuid.UUID(user_id).bytes


def seal(settings: Settings, user_id: str, secret: str) -> bytes:
    return sealer(settings).seal(secret.encode(), _context(user_id))


def open_sealed(settings: Settings, user_id: str, sealed_secret: bytes) -> str | None:
    """The secret, or None (logged) when it does not open for this user under this key."""
    try:
        return sealer(settings).open(sealed_secret, _context(user_id)).decode()
    except BadSeal:
        log.error(
            "the TOTP secret of user %s does not open: sealed under another key"
            " (ONSALE_TOTP_KEY or ONSALE_SECRET_KEY changed?) or copied from another account",
            user_id,
        )
        return None


async def secret_of(conn: Conn, settings: Settings, user_id: str, row: TotpRow) -> str | None:
    """The authenticator secret of a user's row; None when it does not open."""
    if row.sealed_secret is not None:
        return open_sealed(settings, user_id, row.sealed_secret)
    if row.plain_secret is None:
        return None
    # A row the start-up sweep did not reach (Postgres was away then): seal it now.
    await totp_repo.seal_secret(
        conn, user_id, row.plain_secret, seal(settings, user_id, row.plain_secret)
    )
    return row.plain_secret


async def seal_plain_secrets(pool: asyncpg.Pool, settings: Settings) -> int:
    """Seal every secret still stored in plain text; returns how many this call sealed.

    Idempotent and safe from many processes at once: each row is sealed only
    while it still holds the plain secret read, so a second run finds nothing.
    """
    sealed = 0
    for user_id, plain_secret in await totp_repo.plain_secrets(pool):
        done = await totp_repo.seal_secret(
            pool, user_id, plain_secret, seal(settings, user_id, plain_secret)
        )
        sealed += done
    if sealed:
        log.info("sealed %d TOTP secrets stored in plain text", sealed)
    return sealed
