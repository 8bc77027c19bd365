"""Registration, login, profiles and roles; free of HTTP."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from app.audit import service as audit
from app.auth import recovery, repo
from app.auth.hashing import gate
from app.auth.passwords import check_new_password, password_problem
from app.auth.repo import UserRow
from app.core.errors import AppError, invalid, not_found, unauthorized
from app.core.ids import is_uuid, new_id
from app.core.security import (
    hash_password,
    needs_rehash,
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
    locale_chosen: bool = True,
) -> str:
    check_new_password(password)
    user_id = new_id()
    # argon2 is deliberately slow: keep it off the event loop.
    password_hash = await gate.hash(password)
    async with pool.acquire() as conn, conn.transaction():
        try:
            await repo.insert_user(
                conn, user_id, email.strip(), password_hash, name, locale, locale_chosen
            )
        except asyncpg.UniqueViolationError:
            raise AppError(
                "email_taken", 409, "Email already registered", "An account with this email exists"
            ) from None
        for role in {"fan", *roles}:
            await repo.grant_role(conn, user_id, role)
    return user_id


async def register(
    pool: asyncpg.Pool,
    email: str,
    password: str,
    *,
    name: str = "",
    locale: str | None = None,
    fallback_locale: str = "en",
) -> str:
    """Public registration: the same answer whether or not the email has an account.

    A taken email gets a fresh, unused id after the same argon2 work, so neither
    the status, the body nor the time tells an outsider that the account exists.
    """
    try:
        # No language given: the request's (the phone's) until the fan picks one.
        user_id = await create_user(
            pool,
            email,
            password,
            name=name,
            locale=locale or fallback_locale,
            locale_chosen=bool(locale),
        )
    except AppError as exc:
        if exc.code != "email_taken":
            raise
        log.info("registration for an existing email refused silently")
        # The address's owner hears of it (how to sign in or reset the password).
        await recovery.tell_owner(pool, email)
        return new_id()
    return user_id


async def authenticate(pool: asyncpg.Pool, email: str, password: str) -> UserRow:
    """The user with these credentials, or 401 (same time for unknown emails).

    The hash gate is entered before the lookup: in a storm the refusal (429)
    comes at once, before the request takes a database connection.
    """
    async with gate.admitted():
        user = await repo.by_email(pool, email.strip())
        stored = user.password_hash if user else _DUMMY_HASH
        ok = await gate.run(verify_password, stored, password)
        if user is None or not ok:
            raise unauthorized("Wrong email or password")
        if needs_rehash(user.password_hash):
            # Parameters changed since this hash was made: upgrade it now that we
            # hold the password (never slows a failed login).
            new_hash = await gate.run(hash_password, password)
            await repo.update_profile(pool, user.user_id, None, None, new_hash)
    return user


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
    current_password: str | None = None,
) -> UserRow:
    """Change name, locale or password; a new password needs the current one (401 if wrong)."""
    password_hash = None
    if password:
        check_new_password(password)
        if not current_password:
            raise invalid("current_password", "is required to change the password")
        user = await profile(pool, user_id)
        if not await gate.verify(user.password_hash, current_password):
            raise unauthorized("The current password is wrong")
        password_hash = await gate.hash(password)
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
        problem = password_problem(password, "ONSALE_BOOTSTRAP_ADMIN_PASSWORD")
        if problem is not None:
            log.error("bootstrap admin NOT created: %s %s", problem.field, problem.message)
            return
        try:
            user_id = await create_user(pool, email, password, name="Admin", roles=("admin",))
            log.info("bootstrap admin %s created", email)
        except AppError:
            return  # another process created it at the same moment
        await audit.record(
            pool, None, "admin.bootstrap", target_type="user", target_id=user_id,
            detail={"created": True},
        )  # fmt: skip
        return
    if "admin" in existing.roles:
        return
    # Someone may have registered this address through the public API first:
    # promoting that account would hand admin to whoever knows its password.
    if not await asyncio.to_thread(verify_password, existing.password_hash, password):
        log.error(
            "bootstrap admin NOT granted: %s is an existing account whose password is not"
            " ONSALE_BOOTSTRAP_ADMIN_PASSWORD",
            email,
        )
        return
    await repo.grant_role(pool, existing.user_id, "admin")
    log.info("bootstrap admin: existing account %s promoted", email)
    await audit.record(
        pool, None, "admin.bootstrap", target_type="user", target_id=existing.user_id,
        detail={"created": False},
    )  # fmt: skip
