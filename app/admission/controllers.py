"""HTTP endpoints of closed-loop admission: the organizer's targets and what the loop does."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from litestar import get, put
from redis.asyncio import Redis

from app.admission import service
from app.admission.schemas import AdmissionControl
from app.core.security import Principal
from app.events import service as events
from waiting_room.control import Targets


@get(
    "/api/v1/events/{event_id:uuid}/admission",
    operation_id="getAdmissionControl",
    tags=["organizer"],
)
async def get_admission(
    event_id: UUID, principal: Principal, pool: asyncpg.Pool, redis: Redis
) -> AdmissionControl:
    """Mode, targets, the batch admitted per interval now, the signals and the last reason."""
    event = await events.get_managed_event(pool, principal, str(event_id), need="read")
    return await service.describe(redis, event.event_id)


@put(
    "/api/v1/events/{event_id:uuid}/admission/targets",
    operation_id="setAdmissionTargets",
    tags=["organizer"],
)
async def set_targets(
    event_id: UUID, data: Targets, principal: Principal, pool: asyncpg.Pool, redis: Redis
) -> AdmissionControl:
    """Set (or, with `{}`, clear) the targets admission steers on; the batch caps the rate."""
    event = await events.get_managed_event(pool, principal, str(event_id))
    await service.set_targets(redis, event.event_id, data)
    return await service.describe(redis, event.event_id)


ROUTES = [get_admission, set_targets]
