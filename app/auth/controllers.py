"""HTTP endpoints of auth, profile and role administration."""

from __future__ import annotations

import asyncpg
import msgspec
from litestar import get, patch, post

from app.auth import service, twofactor
from app.auth.guards import require_role
from app.auth.repo import UserRow
from app.auth.schemas import (
    AccessToken,
    LoginIn,
    Profile,
    ProfilePatch,
    Registered,
    RegisterIn,
    RolesIn,
)
from app.auth.totp_schemas import LoginChallenge
from app.core.security import Principal
from app.core.settings import Settings


def _profile(user: UserRow) -> Profile:
    return Profile(
        user_id=user.user_id,
        email=user.email,
        name=user.name,
        locale=user.locale,
        roles=list(user.roles),  # type: ignore[arg-type]
    )


def _unset_to_none(value: str | msgspec.UnsetType) -> str | None:
    return None if value is msgspec.UNSET else value  # type: ignore[return-value]


@post("/api/v1/auth/register", operation_id="register", tags=["auth"], status_code=201)
async def register(data: RegisterIn, pool: asyncpg.Pool) -> Registered:
    user_id = await service.create_user(
        pool, data.email, data.password, name=data.name, locale=data.locale
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
    data: LoginIn, pool: asyncpg.Pool, settings: Settings
) -> AccessToken | LoginChallenge:
    user = await service.authenticate(pool, data.email, data.password)
    challenge = await twofactor.login_challenge(pool, settings, user)
    if challenge is not None:
        return challenge
    return twofactor.session_for(settings, user)


@get("/api/v1/me", operation_id="getMe", tags=["auth"])
async def me(principal: Principal, pool: asyncpg.Pool) -> Profile:
    return _profile(await service.profile(pool, principal.user_id))


@patch("/api/v1/me", operation_id="patchMe", tags=["auth"])
async def patch_me(data: ProfilePatch, principal: Principal, pool: asyncpg.Pool) -> Profile:
    user = await service.update_profile(
        pool,
        principal.user_id,
        name=_unset_to_none(data.name),
        locale=_unset_to_none(data.locale),
        password=_unset_to_none(data.password),
    )
    return _profile(user)


@post(
    "/api/v1/admin/users/{user_id:str}/roles",
    operation_id="grantRoles",
    tags=["admin"],
    status_code=200,
)
async def grant_roles(
    user_id: str, data: RolesIn, principal: Principal, pool: asyncpg.Pool
) -> Profile:
    require_role(principal, "admin")
    return _profile(await service.grant_roles(pool, user_id, list(data.roles)))


ROUTES = [register, login, me, patch_me, grant_roles]
