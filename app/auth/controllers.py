"""HTTP endpoints of auth, sessions, profile and role administration."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, get, patch, post
from redis.asyncio import Redis

from app.audit import service as audit
from app.auth import recovery, service, sessions, twofactor
from app.auth.guards import require_role
from app.auth.repo import UserRow
from app.auth.schemas import (
    AccessToken,
    EmailVerifyIn,
    LoginIn,
    LogoutIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    Profile,
    ProfilePatch,
    RefreshIn,
    Registered,
    RegisterIn,
    RolesIn,
)
from app.auth.totp_schemas import LoginChallenge
from app.core import i18n
from app.core.clientip import audit_origin, client_ip
from app.core.ratelimit import RateLimiter
from app.core.security import Principal
from app.core.settings import Settings


def _profile(user: UserRow) -> Profile:
    return Profile(
        user_id=user.user_id,
        email=user.email,
        name=user.name,
        locale=user.locale,
        roles=list(user.roles),  # type: ignore[arg-type]
        locale_chosen=user.locale_chosen,
        email_verified=user.email_verified,
    )


def _unset_to_none(value: str | msgspec.UnsetType) -> str | None:
    return None if value is msgspec.UNSET else value  # type: ignore[return-value]


def _limiter(request: Request[Any, Any, Any]) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


def _tokens(tokens: sessions.Tokens) -> AccessToken:
    return AccessToken(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
    )


@post(
    "/api/v1/auth/register",
    operation_id="register",
    tags=["auth"],
    status_code=201,
    description="The same answer whether or not the email already has an account.",
)
async def register(
    data: RegisterIn, request: Request[Any, Any, Any], pool: asyncpg.Pool
) -> Registered:
    await _limiter(request).hit("register_ip", client_ip(request))
    user_id = await service.register(
        pool,
        data.email,
        data.password,
        name=data.name,
        locale=_unset_to_none(data.locale),
        fallback_locale=i18n.choose(None, request.headers.get("accept-language")),
    )
    return Registered(user_id=user_id)


@post(
    "/api/v1/auth/login",
    operation_id="login",
    tags=["auth"],
    status_code=200,
    description="Tokens, or a LoginChallenge when a second factor is due (see /auth/login/totp).",
)
async def login(
    data: LoginIn, request: Request[Any, Any, Any], pool: asyncpg.Pool, settings: Settings
) -> AccessToken | LoginChallenge:
    limiter = _limiter(request)
    await limiter.hit("login_ip", client_ip(request))
    await limiter.hit("login_account", data.email.strip().lower())
    user = await service.authenticate(pool, data.email, data.password)
    challenge = await twofactor.login_challenge(pool, settings, user)
    if challenge is not None:
        return challenge
    return await twofactor.session_for(pool, settings, user, second_factor=False)


@post(
    "/api/v1/auth/refresh",
    operation_id="refreshToken",
    tags=["auth"],
    status_code=200,
    description="Rotates the refresh token; a refresh token used twice ends its session.",
)
async def refresh(
    data: RefreshIn,
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
) -> AccessToken:
    await _limiter(request).hit("refresh_ip", client_ip(request))
    return _tokens(await sessions.refresh(pool, redis, settings, data.refresh_token))


@post(
    "/api/v1/auth/logout",
    operation_id="logout",
    tags=["auth"],
    status_code=204,
    description="Ends this session; with an expired access token, send the refresh token.",
)
async def logout(
    request: Request[Any, Any, Any],
    maybe_principal: Principal | None,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    data: LogoutIn | None = None,
) -> None:
    token = None if data is None else _unset_to_none(data.refresh_token)
    await sessions.logout(pool, redis, settings, maybe_principal, token)


@post(
    "/api/v1/auth/password-reset",
    operation_id="requestPasswordReset",
    tags=["auth"],
    status_code=202,
    description="Emails a reset link to the account with this address, if any: the answer "
    "is the same whether or not one exists.",
)
async def request_password_reset(
    data: PasswordResetIn, request: Request[Any, Any, Any], pool: asyncpg.Pool
) -> None:
    limiter = _limiter(request)
    await limiter.hit("reset_ip", client_ip(request))
    await limiter.hit("reset_email", data.email.strip().lower())
    await recovery.request_reset(pool, data.email)


@post(
    "/api/v1/auth/password-reset/confirm",
    operation_id="confirmPasswordReset",
    tags=["auth"],
    status_code=204,
    description="Sets the new password; the link is single-use and every session ends.",
)
async def confirm_password_reset(
    data: PasswordResetConfirmIn,
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
) -> None:
    await _limiter(request).hit("reset_ip", client_ip(request))
    await recovery.confirm_reset(pool, redis, settings, data.token, data.password)


@post(
    "/api/v1/auth/verify-email",
    operation_id="verifyEmail",
    tags=["auth"],
    status_code=204,
    description="Opens a verification link (on any device; no sign-in needed).",
)
async def verify_email(
    data: EmailVerifyIn, request: Request[Any, Any, Any], pool: asyncpg.Pool, settings: Settings
) -> None:
    await _limiter(request).hit("reset_ip", client_ip(request))
    await recovery.confirm_verification(pool, settings, data.token)


@post(
    "/api/v1/me/verify-email",
    operation_id="sendVerificationEmail",
    tags=["auth"],
    status_code=202,
    description="Sends the verification link again (nothing when already verified).",
)
async def send_verification_email(principal: Principal, pool: asyncpg.Pool) -> None:
    await recovery.send_verification(pool, principal.user_id)


@get("/api/v1/me", operation_id="getMe", tags=["auth"])
async def me(principal: Principal, pool: asyncpg.Pool) -> Profile:
    return _profile(await service.profile(pool, principal.user_id))


@patch(
    "/api/v1/me",
    operation_id="patchMe",
    tags=["auth"],
    description="A new `password` needs `current_password`; it ends every other session.",
)
async def patch_me(
    data: ProfilePatch,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
) -> Profile:
    password = _unset_to_none(data.password)
    if password:
        await _limiter(request).hit("password_account", principal.user_id)
    user = await service.update_profile(
        pool,
        principal.user_id,
        name=_unset_to_none(data.name),
        locale=_unset_to_none(data.locale),
        password=password,
        current_password=_unset_to_none(data.current_password),
    )
    if password:
        ended = await sessions.end_other_sessions(
            pool, redis, settings, principal, "password_change"
        )
        await audit.record(
            pool,
            principal,
            "user.password_change",
            target_type="user",
            target_id=principal.user_id,
            client_ip=audit_origin(request),
            detail={"sessions_ended": len(ended)},
        )
    return _profile(user)


@post(
    "/api/v1/admin/users/{user_id:uuid}/roles",
    operation_id="grantRoles",
    tags=["admin"],
    status_code=200,
)
async def grant_roles(
    user_id: UUID,
    data: RolesIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> Profile:
    require_role(principal, "admin")
    user = await service.grant_roles(pool, str(user_id), list(data.roles))
    await audit.record(
        pool,
        principal,
        "user.roles_grant",
        target_type="user",
        target_id=user.user_id,
        client_ip=audit_origin(request),
        detail={"roles": sorted(data.roles)},
    )
    return _profile(user)


ROUTES = [
    register,
    login,
    refresh,
    logout,
    request_password_reset,
    confirm_password_reset,
    verify_email,
    send_verification_email,
    me,
    patch_me,
    grant_roles,
]
