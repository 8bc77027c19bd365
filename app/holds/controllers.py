"""HTTP endpoints of holds and section capacity."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Request, Response, get, post
from litestar.params import Parameter
from redis.asyncio import Redis

from app.audit import service as audit
from app.auth.sessions import active_principal
from app.core.clientip import audit_origin, client_ip
from app.core.idempotency import OPT_NATIVE
from app.core.ratelimit import RateLimiter
from app.core.resources import Resources
from app.core.scripts import Scripts
from app.core.security import Principal
from app.events.schemas import SectionOut
from app.holds import inventory, service
from app.holds.schemas import CapacityIn, Hold, HoldIn

_REPLAYED = {"Idempotent-Replayed": "true"}


@post(
    "/api/v1/events/{event_id:uuid}/holds",
    operation_id="createHold",
    tags=["holds"],
    status_code=201,
    # The hold script records the Idempotency-Key itself (one round trip).
    opt={OPT_NATIVE: True},
)
async def create_hold(
    event_id: UUID,
    data: HoldIn,
    request: Request[Any, Any, Any],
    admission_token: Annotated[
        str | None, Parameter(header="X-Admission-Token", description="From the waiting room")
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Parameter(header="Idempotency-Key", description="Retries return the first outcome"),
    ] = None,
) -> Response[Hold]:
    # The hot path: resources come straight from app.state, not through DI
    # (Litestar resolves several dependencies in an anyio task group, ~100 µs).
    principal = await active_principal(request)
    limiter: RateLimiter = request.app.state.limiter
    # Counted by the hold script itself, on the event's keys: per account and
    # event (admission already binds a token to both), per address and event.
    quotas = (
        limiter.quota("holds_account", principal.user_id),
        limiter.quota("holds_ip", client_ip(request)),
    )
    resources: Resources = request.app.state.resources
    hold, replayed = await service.create_hold(
        resources.scripts,
        resources.settings.secret_key,
        principal.user_id,
        str(event_id),
        admission_token,
        idempotency_key,
        data,
        quotas,
    )
    return Response(hold, status_code=201, headers=_REPLAYED if replayed else None)


@get("/api/v1/holds/{hold_id:str}", operation_id="getHold", tags=["holds"])
async def get_hold(hold_id: str, principal: Principal, redis: Redis, pool: asyncpg.Pool) -> Hold:
    return await service.get_hold(redis, pool, principal.user_id, hold_id)


@post(
    "/api/v1/events/{event_id:uuid}/sections/{code:str}/capacity",
    operation_id="changeSectionCapacity",
    tags=["events"],
    status_code=200,
)
async def change_capacity(
    event_id: UUID,
    code: str,
    data: CapacityIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    scripts: Scripts,
) -> SectionOut:
    section = await inventory.adjust_capacity(
        pool, scripts, principal, str(event_id), code, data.delta
    )
    await audit.record(
        pool,
        principal,
        "event.capacity",
        target_type="section",
        target_id=section.code,
        event_id=str(event_id),
        client_ip=audit_origin(request),
        detail={"delta": data.delta, "capacity": section.capacity},
    )
    return section


ROUTES = [create_hold, get_hold, change_capacity]
