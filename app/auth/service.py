"""Registration, login, profiles and roles; free of HTTP."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from app.auth import repo
from app.auth.repo import UserRow
from app.core.errors import AppError, not_found, unauthorized
from app.core.ids import is_uuid, new_id
from app.core.security import (
    Principal,
    hash_password,
    issue_access_token,
    verify_password,
)
from app.core.settings import Settings

log = logging.getLogger("onsale.auth")

ROLES = ("fan", "organizer", "admin")
# Verifying against a real hash when the email is unknown keeps login time
# the same for known and unknown accounts (no user enumeration by timing).
_DUMMY_HASH = hash_password("not-a-real-password-only-for-timing")


async def create_user(
    pool: asyncpg.Pool,
    email: str,
    password: str,
    *,
    name: str = "",
    locale: str = "en",
    roles: tuple[str, ...] = ("fan",),
) -> str:
    user_id = new_id()
    # argon2 is deliberately slow: keep it off the event loop.
    password_hash = await asyncio.to_thread(hash_password, password)
    async with pool.acquire() as conn, conn.transaction():
        try:
            await repo.insert_user(conn, user_id, email.strip(), password_hash, name, locale)
        except asyncpg.UniqueViolationError:
            raise AppError(
                "email_taken", 409, "Email already registered", "An account with this email exists"
            ) from None
        for role in {"fan", *roles}:
            await repo.grant_role(conn, user_id, role)
    return user_id


async def authenticate(pool: asyncpg.Pool, email: str, password: str) -> UserRow:
    """The user whose password this is, or 401 (a second factor may still be due)."""
    user = await repo.by_email(pool, email.strip())
    stored = user.password_hash if user else _DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, stored, password)
    if user is None or not ok:
        raise unauthorized("Wrong email or password")
    return user


async def login(
    pool: asyncpg.Pool, settings: Settings, email: str, password: str
) -> tuple[str, int]:
    user = await authenticate(pool, email, password)
    return access_token_for(settings, user), settings.access_token_ttl_s


def access_token_for(settings: Settings, user: UserRow) -> str:
    principal = Principal(user_id=user.user_id, roles=user.roles)
    return issue_access_token(settings.secret_key, principal, settings.access_token_ttl_s)


async def profile(pool: asyncpg.Pool, user_id: str) -> UserRow:
    user = await repo.by_id(pool, user_id)
    if user is None:
        raise not_found("User")
    return user


async def update_profile(
    pool: asyncpg.Pool,
    user_id: str,
    *,
    name: str | None,
    locale: str | None,
    password: str | None,
) -> UserRow:
    password_hash = await asyncio.to_thread(hash_password, password) if password else None
    await repo.update_profile(pool, user_id, name, locale, password_hash)
    return await profile(pool, user_id)


async def grant_roles(pool: asyncpg.Pool, user_id: str, roles: list[str]) -> UserRow:
    if not is_uuid(user_id):
        raise not_found("User")
    async with pool.acquire() as conn, conn.transaction():
        if await repo.by_id(conn, user_id) is None:
            raise not_found("User")
        for role in roles:
            await repo.grant_role(conn, user_id, role)
    return await profile(pool, user_id)


async def ensure_bootstrap_admin(pool: asyncpg.Pool, settings: Settings) -> None:
    """When both bootstrap variables are set, an admin with them exists after start."""
    email, password = settings.bootstrap_admin_email, settings.bootstrap_admin_password
    if not (email and password):
        return
    existing = await repo.by_email(pool, email)
    if existing is None:
        try:
            await create_user(pool, email, password, name="Admin", roles=("admin",))
            log.info("bootstrap admin %s created", email)
        except AppError:
            pass  # another process created it at the same moment
        return
    if "admin" not in existing.roles:
        await repo.grant_role(pool, existing.user_id, "admin")
