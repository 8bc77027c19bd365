"""HTTP endpoints of two-factor sign-in: the login's second step, enrolment, recovery codes."""

from __future__ import annotations

import asyncpg
from litestar import Response, get, post
from redis.asyncio import Redis

from app.auth import service, twofactor
from app.auth.repo import UserRow
from app.auth.schemas import AccessToken
from app.auth.totp_schemas import (
    CodeIn,
    ConfirmIn,
    EnrolIn,
    RecoveryCodes,
    TotpConfirmed,
    TotpEnrolment,
    TotpLoginIn,
    TotpStatus,
)
from app.core.errors import unauthorized
from app.core.security import Principal
from app.core.settings import Settings


async def _caller(
    pool: asyncpg.Pool, settings: Settings, principal: Principal | None, challenge: str | None
) -> tuple[UserRow, bool]:
    """The account acted on: from a sign-in challenge (True) or the access token (False)."""
    if challenge:
        return await service.profile(pool, twofactor.read_challenge(settings, challenge)), True
    if principal is None:
        raise unauthorized()
    return await service.profile(pool, principal.user_id), False


@post(
    "/api/v1/auth/login/totp",
    operation_id="loginTotp",
    tags=["auth"],
    status_code=200,
    description="Second sign-in step: a 6-digit TOTP code or one unused recovery code.",
)
async def login_totp(data: TotpLoginIn, pool: asyncpg.Pool, settings: Settings) -> AccessToken:
    user = await service.profile(pool, twofactor.read_challenge(settings, data.challenge_token))
    await twofactor.verify_second_factor(pool, settings, user.user_id, data.code)
    return await twofactor.session_for(pool, settings, user, second_factor=True)


@get("/api/v1/auth/totp", operation_id="getTotpStatus", tags=["auth"])
async def totp_status(principal: Principal, pool: asyncpg.Pool, settings: Settings) -> TotpStatus:
    return await twofactor.status(pool, settings, await service.profile(pool, principal.user_id))


@post(
    "/api/v1/auth/totp/enrol",
    operation_id="startTotpEnrolment",
    tags=["auth"],
    status_code=201,
    description="A new authenticator secret and its QR code (Bearer token, or challenge_token "
    "from a login that answered second_factor: totp_enrolment).",
)
async def enrol(
    maybe_principal: Principal | None,
    pool: asyncpg.Pool,
    settings: Settings,
    data: EnrolIn | None = None,
) -> TotpEnrolment:
    user, _ = await _caller(pool, settings, maybe_principal, data.challenge_token if data else None)
    return await twofactor.start_enrolment(pool, settings, user)


@post(
    "/api/v1/auth/totp/confirm",
    operation_id="confirmTotpEnrolment",
    tags=["auth"],
    status_code=200,
    description="Turn the authenticator on with a code from it; returns recovery codes once "
    "(and, when confirmed with a challenge_token, the session the sign-in was waiting for).",
)
async def confirm(
    data: ConfirmIn, maybe_principal: Principal | None, pool: asyncpg.Pool, settings: Settings
) -> TotpConfirmed:
    user, signing_in = await _caller(pool, settings, maybe_principal, data.challenge_token)
    codes = await twofactor.confirm_enrolment(pool, settings, user, data.code)
    session = (
        await twofactor.session_for(pool, settings, user, second_factor=True)
        if signing_in
        else None
    )
    return TotpConfirmed(recovery_codes=codes, session=session)


@post(
    "/api/v1/auth/step-up",
    operation_id="stepUp",
    tags=["auth"],
    status_code=200,
    description="A session started without a second factor proves one (a TOTP or recovery "
    "code): new tokens of a session that carries every role of the account; the old session "
    "ends. Admin rights need this (or a sign-in with the second factor).",
)
async def step_up(
    data: CodeIn, principal: Principal, pool: asyncpg.Pool, redis: Redis, settings: Settings
) -> AccessToken:
    return await twofactor.step_up(pool, redis, settings, principal, data.code)


@post(
    "/api/v1/auth/totp/recovery-codes",
    operation_id="regenerateRecoveryCodes",
    tags=["auth"],
    status_code=200,
)
async def recovery_codes(
    data: CodeIn, principal: Principal, pool: asyncpg.Pool, settings: Settings
) -> RecoveryCodes:
    """A new set of recovery codes (the old ones stop working); needs a current code."""
    codes = await twofactor.regenerate_recovery_codes(pool, settings, principal.user_id, data.code)
    return RecoveryCodes(recovery_codes=codes)


@post(
    "/api/v1/auth/totp/disable",
    operation_id="disableTotp",
    tags=["auth"],
    status_code=204,
)
async def disable(
    data: CodeIn, principal: Principal, pool: asyncpg.Pool, settings: Settings
) -> Response[None]:
    """Turn two-factor sign-in off (refused for accounts that must keep it)."""
    user = await service.profile(pool, principal.user_id)
    await twofactor.disable(pool, settings, user, data.code)
    return Response(None, status_code=204)


ROUTES = [login_totp, totp_status, enrol, confirm, step_up, recovery_codes, disable]
