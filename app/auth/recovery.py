"""Account recovery and proof of address: password reset by emailed link, email
verification, and the note to an owner whose address someone tried to register.

Every answer is the same whether or not an account exists: the email is what differs,
and only the address's owner reads it.
"""

from __future__ import annotations

import logging
import time

import asyncpg
from redis.asyncio import Redis

from app.audit import service as audit
from app.auth import links, repo, sessions
from app.auth.hashing import gate
from app.auth.passwords import check_new_password
from app.core.errors import AppError
from app.core.settings import Settings

log = logging.getLogger("onsale.auth")

PASSWORD_RESET = "password_reset"
EMAIL_VERIFY = "email_verify"
ACCOUNT_EXISTS = "account_exists"
# One email of a kind per account in this window, however often it is asked for.
DEDUP_WINDOW_S = 60


def _bucket() -> int:
    return int(time.time()) // DEDUP_WINDOW_S


async def request_reset(pool: asyncpg.Pool, email: str) -> None:
    """Send a reset link to the account with this address, if there is one."""
    user = await repo.by_email(pool, email.strip())
    if user is None:
        return
    await repo.account_message(
        pool,
        PASSWORD_RESET,
        f"{PASSWORD_RESET}:{user.user_id}:{_bucket()}",
        {"user_id": user.user_id},
    )


async def confirm_reset(
    pool: asyncpg.Pool, redis: Redis, settings: Settings, token: str, password: str
) -> str:
    """Set the new password; the link then stops working and every session ends."""
    claim = links.read_reset(settings.secret_key, token)
    check_new_password(password)
    password_hash = await gate.hash(password)
    async with pool.acquire() as conn, conn.transaction():
        # Checked under the row lock: of two uses of one link at once, one wins; once the
        # password changed, the link's fingerprint no longer matches (single use).
        current = await repo.password_hash_for_update(conn, claim.user_id)
        if current is None or links.fingerprint(current) != claim.fingerprint:
            raise links.link_invalid()
        await repo.set_password(conn, claim.user_id, password_hash)
    ended = await sessions.end_all(pool, redis, settings, claim.user_id, "password_reset")
    await audit.record(
        pool, None, "user.password_reset", target_type="user", target_id=claim.user_id,
        detail={"sessions_ended": ended},
    )  # fmt: skip
    return claim.user_id


async def send_verification(pool: asyncpg.Pool, user_id: str) -> bool:
    """Send a verification link to the account's address; False when already verified."""
    user = await repo.by_id(pool, user_id)
    if user is None or user.email_verified:
        return False
    await repo.account_message(
        pool,
        EMAIL_VERIFY,
        f"{EMAIL_VERIFY}:{user_id}:{_bucket()}",
        {"user_id": user_id, "email": user.email},
    )
    return True


async def confirm_verification(pool: asyncpg.Pool, settings: Settings, token: str) -> str:
    claim = links.read_verify(settings.secret_key, token)
    if not await repo.verify_email(pool, claim.user_id, claim.email):
        raise links.link_invalid()
    return claim.user_id


async def tell_owner(pool: asyncpg.Pool, email: str) -> None:
    """Someone registered with an address that has an account: its owner is told how to
    sign in or reset the password (the one registering learns nothing)."""
    user = await repo.by_email(pool, email.strip())
    if user is not None:
        await repo.account_message(
            pool,
            ACCOUNT_EXISTS,
            f"{ACCOUNT_EXISTS}:{user.user_id}:{_bucket()}",
            {"user_id": user.user_id},
        )


async def check_purchase(pool: asyncpg.Pool, event_id: str, user_id: str) -> None:
    """403 `email_unverified` when the event asks for a verified address and this account
    has none yet; the link is sent then (at most once a minute), so fans who never meet
    such a sale get no email for it."""
    if await repo.purchase_needs_verified_email(pool, event_id, user_id):
        await send_verification(pool, user_id)
        raise AppError(
            "email_unverified",
            403,
            "Email not verified",
            "Confirm your email address first: open the link we sent you",
        )
