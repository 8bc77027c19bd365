"""Litestar dependency providers: resources from app.state, the calling principal."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Request
from litestar.datastructures import State
from redis.asyncio import Redis

from app.auth import sessions
from app.core.principal import bearer_principal
from app.core.resources import Resources
from app.core.scripts import Scripts
from app.core.security import Principal
from app.core.settings import Settings
from app.phases.room import PhaseRoomSync
from app.seating.service import SeatMapCopy


def provide_resources(state: State) -> Resources:
    resources: Resources = state.resources
    return resources


def provide_pool(state: State) -> asyncpg.Pool:
    return provide_resources(state).pool


def provide_redis(state: State) -> Redis:
    return provide_resources(state).redis


def provide_scripts(state: State) -> Scripts:
    return provide_resources(state).scripts


def provide_seat_maps(state: State) -> SeatMapCopy:
    """The copier of a duplicated event's seat maps (events cannot import seating)."""
    return SeatMapCopy(provide_scripts(state))


def provide_phase_rooms() -> PhaseRoomSync:
    """The mirror of a duplicated event's phases (events cannot import phases)."""
    return PhaseRoomSync()


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The authenticated caller, or 401 unauthorized (also when the session has ended)."""
    return await sessions.active_principal(request)


async def provide_optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    principal = bearer_principal(request)
    if principal is None:
        return None
    if not await sessions.is_active(request.app.state.resources.redis, principal.session_id):
        return None
    return principal
