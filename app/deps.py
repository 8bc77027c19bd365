"""Litestar dependency providers: resources from app.state, the calling principal."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Request
from litestar.datastructures import State
from redis.asyncio import Redis

from app.auth import sessions
from app.core.errors import unauthorized
from app.core.scripts import Scripts
from app.core.security import Principal, read_access_token
from app.core.settings import Settings
from app.state import Resources


def provide_resources(state: State) -> Resources:
    resources: Resources = state.resources
    return resources


def provide_pool(state: State) -> asyncpg.Pool:
    return provide_resources(state).pool


def provide_redis(state: State) -> Redis:
    return provide_resources(state).redis


def provide_scripts(state: State) -> Scripts:
    return provide_resources(state).scripts


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def bearer_principal(request: Request[Any, Any, Any]) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    settings: Settings = request.app.state.settings
    return read_access_token(settings.secret_key, token.strip())


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The authenticated caller, or 401 unauthorized (also when the session has ended)."""
    principal = bearer_principal(request)
    if principal is None:
        raise unauthorized()
    if not await sessions.is_active(request.app.state.resources.redis, principal.session_id):
        raise unauthorized("This session has ended; sign in again")
    return principal


async def provide_optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    principal = bearer_principal(request)
    if principal is None:
        return None
    if not await sessions.is_active(request.app.state.resources.redis, principal.session_id):
        return None
    return principal
