"""Litestar dependency providers: resources from app.state, the calling principal."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Request
from litestar.datastructures import State
from redis.asyncio import Redis

from app.core.principal import bearer_principal, require_principal
from app.core.resources import Resources
from app.core.scripts import Scripts
from app.core.security import Principal
from app.core.settings import Settings


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


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The authenticated caller, or 401 unauthorized."""
    return require_principal(request)


def provide_optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    return bearer_principal(request)
