"""HTTP endpoints of ticket types: the organizer's editor and the fans' list."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, delete, get, post, put
from redis.asyncio import Redis

from app.audit import service as audit
from app.core.scripts import Scripts
from app.core.security import Principal
from app.tickettypes import service
from app.tickettypes.schemas import TicketType, TicketTypeIn, TicketTypeList

LIST = "/api/v1/events/{event_id:uuid}/types"
BASE = "/api/v1/events/{event_id:uuid}/sections/{code:str}/types"


@get(LIST, operation_id="listTicketTypes", tags=["ticket types"])
async def list_ticket_types(
    event_id: UUID, maybe_principal: Principal | None, pool: asyncpg.Pool, redis: Redis
) -> TicketTypeList:
    """Every section's ticket types with what a fan can hold of each now (public); the
    event's organizers also get each type's held and sold tickets."""
    return await service.list_types(pool, redis, maybe_principal, str(event_id))


@post(BASE, operation_id="createTicketType", tags=["ticket types"], status_code=201)
async def create_ticket_type(
    event_id: UUID,
    code: str,
    data: TicketTypeIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    scripts: Scripts,
) -> TicketType:
    """A ticket type of the section; 409 `type_exists` when it has this code already."""
    made = await service.create(pool, scripts, principal, str(event_id), code, data)
    await audit.organizer_action(
        request,
        pool,
        principal,
        "ticket_type.create",
        str(event_id),
        section=code,
        type=made.code,
    )
    return made


@put(BASE + "/{type_code:str}", operation_id="replaceTicketType", tags=["ticket types"])
async def replace_ticket_type(
    event_id: UUID,
    code: str,
    type_code: str,
    data: TicketTypeIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    scripts: Scripts,
) -> TicketType:
    """The type's settings; its code stays the path's. 409 `quota_below_committed` when the
    quota would be below its tickets held and sold."""
    changed = await service.replace(pool, scripts, principal, str(event_id), code, type_code, data)
    await audit.organizer_action(
        request,
        pool,
        principal,
        "ticket_type.update",
        str(event_id),
        section=code,
        type=changed.code,
    )
    return changed


@delete(BASE + "/{type_code:str}", operation_id="deleteTicketType", tags=["ticket types"])
async def delete_ticket_type(
    event_id: UUID,
    code: str,
    type_code: str,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    scripts: Scripts,
) -> None:
    """Remove a type with no ticket held or sold (409 `type_in_use` otherwise, or while
    another type needs it as companion)."""
    await service.remove(pool, scripts, principal, str(event_id), code, type_code)
    await audit.organizer_action(
        request,
        pool,
        principal,
        "ticket_type.delete",
        str(event_id),
        section=code,
        type=type_code.upper(),
    )


ROUTES = [list_ticket_types, create_ticket_type, replace_ticket_type, delete_ticket_type]
