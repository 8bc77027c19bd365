"""HTTP endpoints of the waiting list: join, status, leave."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, Response, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from redis.asyncio import Redis

from app.core import entry
from app.core.scripts import Scripts
from app.core.security import Principal
from app.core.settings import Settings
from app.events import service as events_service
from app.waitlist import service
from app.waitlist.schemas import WaitlistIn, WaitlistStatus


@post(
    "/api/v1/events/{event_id:uuid}/waitlist",
    operation_id="joinWaitlist",
    tags=["waitlist"],
    status_code=201,
    responses={200: ResponseSpec(data_container=WaitlistStatus, description="Already on the list")},
)
async def join_waitlist(
    event_id: UUID,
    data: WaitlistIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    scripts: Scripts,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    pow_challenge: entry.PowChallenge = None,
    pow_nonce: entry.PowNonce = None,
) -> Response[WaitlistStatus]:
    """Wait for seats of a sold-out section; returned seats come as a time-limited offer.
    Like a queue join, it needs the account's proof of work (X-PoW-Challenge/-Nonce)."""
    await entry.hit_limits(request, principal.user_id, "waitlist_account")
    eid = await events_service.visible_event_id(pool, principal, event_id)
    await entry.pay_pow(
        redis, settings, pow_challenge, pow_nonce, event_id=eid, user_id=principal.user_id
    )
    created = await service.join(scripts, eid, principal.user_id, data)
    body = await service.status(scripts, eid, principal.user_id)
    return Response(body, status_code=201 if created else 200)


@get("/api/v1/events/{event_id:uuid}/waitlist", operation_id="getWaitlistStatus", tags=["waitlist"])
async def waitlist_status(
    event_id: UUID, principal: Principal, scripts: Scripts, pool: asyncpg.Pool
) -> WaitlistStatus:
    return await service.status(
        scripts, await events_service.visible_event_id(pool, principal, event_id), principal.user_id
    )


@delete("/api/v1/events/{event_id:uuid}/waitlist", operation_id="leaveWaitlist", tags=["waitlist"])
async def leave_waitlist(
    event_id: UUID, principal: Principal, scripts: Scripts, pool: asyncpg.Pool
) -> None:
    await service.leave(
        scripts, await events_service.visible_event_id(pool, principal, event_id), principal.user_id
    )


ROUTES = [join_waitlist, waitlist_status, leave_waitlist]
