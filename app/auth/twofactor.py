"""Two-factor sign-in: login challenges, TOTP enrolment, second-step checks, recovery codes.

Admins always need a second factor; organizers do when the deployment sets
ONSALE_REQUIRE_2FA_ORGANIZERS. Any organizer may turn it on for themselves.
Fans cannot enrol: their sign-in stays one step.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

import asyncpg
import jwt
from redis.asyncio import Redis

from app.auth import repo as auth_repo
from app.auth import sessions, totp, totp_repo, totp_sealing
from app.auth.policy import required
from app.auth.repo import UserRow
from app.auth.schemas import AccessToken
from app.auth.totp_schemas import LoginChallenge, TotpEnrolment, TotpStatus
from app.core.errors import AppError, forbidden, invalid, unauthorized
from app.core.security import Principal
from app.core.settings import Settings

CHALLENGE_AUDIENCE = "onsale:2fa-challenge"
CHALLENGE_TTL_S = 300
# Five wrong codes in a row lock the second step for five minutes: with a
# three-code window that leaves an online guesser about 1 in 22,000 per lock.
MAX_FAILURES = 5
LOCK_S = 300


def may_enrol(roles: tuple[str, ...]) -> bool:
    return "admin" in roles or "organizer" in roles


def issue_challenge(settings: Settings, user_id: str, enrolled: bool) -> LoginChallenge:
    now = int(time.time())
    claims = {
        "sub": user_id,
        "aud": CHALLENGE_AUDIENCE,
        "iat": now,
        "exp": now + CHALLENGE_TTL_S,
    }
    token = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    return LoginChallenge(
        second_factor="totp" if enrolled else "totp_enrolment",
        challenge_token=token,
        expires_in=CHALLENGE_TTL_S,
    )


def read_challenge(settings: Settings, token: str) -> str:
    """The user id a challenge token was issued to, or 401."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=["HS256"],
            audience=CHALLENGE_AUDIENCE,
            options={"require": ["exp", "iat", "sub", "aud"]},
        )
    except jwt.PyJWTError:
        raise unauthorized("The sign-in challenge is invalid or has expired") from None
    return str(claims["sub"])


async def login_challenge(
    pool: asyncpg.Pool, settings: Settings, user: UserRow
) -> LoginChallenge | None:
    """The challenge login answers with, or None when the password is enough."""
    row = await totp_repo.of_user(pool, user.user_id)
    enabled = row is not None and row.enabled
    if enabled:
        return issue_challenge(settings, user.user_id, enrolled=True)
    if required(settings, user.roles):
        return issue_challenge(settings, user.user_id, enrolled=False)
    return None


async def status(pool: asyncpg.Pool, settings: Settings, user: UserRow) -> TotpStatus:
    row = await totp_repo.of_user(pool, user.user_id)
    enabled = row is not None and row.enabled
    left = await totp_repo.recovery_codes_left(pool, user.user_id) if enabled else 0
    return TotpStatus(
        enabled=enabled, required=required(settings, user.roles), recovery_codes_left=left
    )


def _already_enabled() -> AppError:
    return AppError(
        "totp_enabled",
        409,
        "Two-factor already on",
        "Turn two-factor sign-in off first to enrol a new authenticator",
    )


async def start_enrolment(pool: asyncpg.Pool, settings: Settings, user: UserRow) -> TotpEnrolment:
    if not may_enrol(user.roles):
        raise forbidden("Two-factor sign-in is for organizer and admin accounts")
    row = await totp_repo.of_user(pool, user.user_id)
    if row is not None and row.enabled:
        # Never let a password alone replace an active authenticator.
        raise _already_enabled()
    secret = totp.new_secret()
    sealed = totp_sealing.seal(settings, user.user_id, secret)
    await totp_repo.start_enrolment(pool, user.user_id, sealed)
    uri = totp.provisioning_uri(secret, user.email)
    return TotpEnrolment(
        secret=secret,
        otpauth_uri=uri,
        qr_svg=totp.qr_svg_data_uri(uri),
        issuer=totp.ISSUER,
        account=user.email,
    )


async def _new_recovery_codes(conn: asyncpg.Connection, user_id: str) -> list[str]:
    codes = totp.new_recovery_codes()
    await totp_repo.replace_recovery_codes(
        conn, user_id, [totp.hash_recovery_code(c) for c in codes]
    )
    return codes


async def confirm_enrolment(
    pool: asyncpg.Pool, settings: Settings, user: UserRow, code: str
) -> list[str]:
    """Turn the pending authenticator on with a code from it; returns fresh recovery codes."""
    async with pool.acquire() as conn, conn.transaction():
        row = await totp_repo.of_user(conn, user.user_id)
        if row is None:
            raise AppError("totp_not_enrolled", 409, "No enrolment", "Start an enrolment first")
        if row.enabled:
            raise _already_enabled()
        secret = await totp_sealing.secret_of(conn, settings, user.user_id, row)
        step = None if secret is None else totp.matching_step(secret, code)
        if step is None:
            raise invalid("code", "This code does not match; check the phone's clock and retry")
        if not await totp_repo.enable(conn, user.user_id, step):
            raise _already_enabled()
        return await _new_recovery_codes(conn, user.user_id)


def _locked(until: datetime) -> AppError:
    wait = max(1, math.ceil((until - datetime.now(UTC)).total_seconds()))
    return AppError(
        "rate_limited",
        429,
        "Too many requests",
        "Too many wrong codes; wait before trying again",
        headers={"Retry-After": str(wait)},
    )


async def verify_second_factor(
    pool: asyncpg.Pool, settings: Settings, user_id: str, code: str
) -> None:
    """Accept a fresh TOTP code or an unused recovery code, else 401 (429 when locked)."""
    row = await totp_repo.of_user(pool, user_id)
    if row is None or not row.enabled:
        raise unauthorized("Two-factor sign-in is not set up for this account")
    if row.locked_until is not None and row.locked_until > datetime.now(UTC):
        raise _locked(row.locked_until)
    if totp.is_totp_code(code):
        secret = await totp_sealing.secret_of(pool, settings, user_id, row)
        step = None if secret is None else totp.matching_step(secret, code)
        if step is not None and await totp_repo.accept_step(pool, user_id, step):
            return
    elif await totp_repo.use_recovery_code(pool, user_id, totp.hash_recovery_code(code)):
        await totp_repo.reset_failures(pool, user_id)
        return
    locked_until = await totp_repo.record_failure(pool, user_id, MAX_FAILURES, LOCK_S)
    if locked_until is not None and locked_until > datetime.now(UTC):
        raise _locked(locked_until)
    raise unauthorized("Wrong or already used code")


async def regenerate_recovery_codes(
    pool: asyncpg.Pool, settings: Settings, user_id: str, code: str
) -> list[str]:
    await verify_second_factor(pool, settings, user_id, code)
    async with pool.acquire() as conn, conn.transaction():
        return await _new_recovery_codes(conn, user_id)


async def disable(pool: asyncpg.Pool, settings: Settings, user: UserRow, code: str) -> None:
    if required(settings, user.roles):
        raise forbidden("This account must keep two-factor sign-in")
    await verify_second_factor(pool, settings, user.user_id, code)
    await totp_repo.delete(pool, user.user_id)


async def reset_lost(
    pool: asyncpg.Pool, redis: Redis, settings: Settings, user_id: str
) -> tuple[bool, int]:
    """An admin's remedy for a lost authenticator: remove it and the recovery codes and end
    every session of the account, so the next sign-in is one step and (where two-factor is
    required) goes straight to a new enrolment. (had an authenticator, sessions ended)"""
    async with pool.acquire() as conn, conn.transaction():
        had = await totp_repo.of_user(conn, user_id) is not None
        await totp_repo.delete(conn, user_id)
        ended = await auth_repo.end_other_sessions(conn, user_id, None, "totp_reset")
    await sessions.mark_ended(redis, settings, ended)
    return had, len(ended)


def _out(tokens: sessions.Tokens) -> AccessToken:
    return AccessToken(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
    )


async def session_for(
    pool: asyncpg.Pool, settings: Settings, user: UserRow, *, second_factor: bool
) -> AccessToken:
    """What a completed sign-in returns (the same as a one-step login): a new session,
    recorded as started with a second factor or without one."""
    return _out(await sessions.start(pool, settings, user, second_factor=second_factor))


async def step_up(
    pool: asyncpg.Pool, redis: Redis, settings: Settings, principal: Principal, code: str
) -> AccessToken:
    """A session started with a password alone proves a second factor: it is replaced by
    one that carries every role of the account (the old one ends)."""
    await verify_second_factor(pool, settings, principal.user_id, code)
    user = await auth_repo.by_id(pool, principal.user_id)
    if user is None:
        raise unauthorized()
    return _out(await sessions.replace(pool, redis, settings, principal, user))
