"""HTTP endpoints of events (organizer side and the public view)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, get, patch, post
from litestar.params import Parameter
from redis.asyncio import Redis

from app.audit import service as audit
from app.core.clock import utcnow
from app.core.scripts import Scripts
from app.core.security import Principal
from app.events import mirror, service
from app.events.model import EventRecord
from app.events.schemas import (
    DuplicateIn,
    Event,
    EventIn,
    EventList,
    EventPatch,
    Fairness,
    SectionOut,
    WaitingRoomOut,
)


def present(event: EventRecord, available: dict[str, int]) -> Event:
    wr = event.waiting_room
    return Event(
        event_id=event.event_id,
        organizer_id=event.organizer_id,
        status=event.status,  # type: ignore[arg-type]
        on_sale=event.on_sale(utcnow()),
        name=event.name,
        venue=event.venue,
        starts_at=event.starts_at,
        timezone=event.timezone,
        onsale_at=event.onsale_at,
        offsale_at=event.offsale_at,
        currency=event.currency,
        hold_ttl_s=event.hold_ttl_s,
        max_per_order=event.max_per_order,
        max_per_user=event.max_per_user,
        sections=[
            SectionOut(
                code=s.code,
                name=s.name,
                price_cents=s.price_cents,
                capacity=s.capacity,
                available=available.get(s.code, s.capacity - s.sold),
                seated=s.seated,
            )
            for s in event.sections
        ],
        waiting_room=WaitingRoomOut(
            enabled=wr.enabled,
            admit_batch_size=wr.admit_batch_size,
            admit_interval_s=wr.admit_interval_s,
            max_active_shoppers=wr.max_active_shoppers,
            session_ttl_s=wr.session_ttl_s,
            prequeue_opens_at=wr.prequeue_opens_at,
            mode=wr.mode,  # type: ignore[arg-type]
        ),
        fairness=Fairness(
            seed_sha256=event.fairness_seed_sha256,
            seed=event.fairness_seed if service.seed_revealed(event) else None,
        ),
        static_codes=event.static_codes,
        require_verified_email=event.require_verified_email,
        org_id=event.org_id,
        archived_at=event.archived_at,
    )


async def _present(redis: Redis, event: EventRecord, *, changed: bool = False) -> Event:
    """The public view; `changed` (an organizer's write) reads availability fresh."""
    return present(event, await mirror.availability(redis, event, fresh=changed))


@post("/api/v1/events", operation_id="createEvent", tags=["events"], status_code=201)
async def create_event(
    data: EventIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
) -> Event:
    # An organizer, or a manager or owner creating it in its organization (the service
    # checks the role where the event goes).
    event = await service.create_event(pool, redis, scripts, principal, data)
    await audit.organizer_action(
        request, pool, principal, "event.create", event.event_id, name=event.name
    )
    return await _present(redis, event, changed=True)


@get("/api/v1/events/{event_id:uuid}", operation_id="getEvent", tags=["events"])
async def get_event(
    event_id: UUID, maybe_principal: Principal | None, pool: asyncpg.Pool, redis: Redis
) -> Event:
    event = await service.get_visible_event(pool, maybe_principal, str(event_id))
    return await _present(redis, event)


@get("/api/v1/events", operation_id="listEvents", tags=["events"])
async def list_events(
    maybe_principal: Principal | None,
    pool: asyncpg.Pool,
    redis: Redis,
    status: Literal["draft", "published", "paused", "ended"] | None = None,
    archived: bool = False,
    org_id: Annotated[str | None, Parameter(max_length=36)] = None,
) -> EventList:
    events = await service.list_events(
        pool, maybe_principal, status, archived=archived, org_id=org_id
    )
    return EventList(items=[await _present(redis, e) for e in events])


@patch("/api/v1/events/{event_id:uuid}", operation_id="patchEvent", tags=["events"])
async def patch_event(
    event_id: UUID,
    data: EventPatch,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
) -> Event:
    event = await service.patch_event(pool, redis, scripts, principal, str(event_id), data)
    changed = sorted(k for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET)
    await audit.organizer_action(
        request, pool, principal, "event.patch", event.event_id, fields=changed
    )
    return await _present(redis, event, changed=True)


async def _status(
    action: str,
    event_id: str,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
) -> Event:
    event = await service.change_status(pool, redis, scripts, principal, event_id, action)
    await audit.organizer_action(
        request, pool, principal, f"event.{action}", event.event_id, status=event.status
    )
    return await _present(redis, event, changed=True)


@post(
    "/api/v1/events/{event_id:uuid}/publish",
    operation_id="publishEvent",
    tags=["events"],
    status_code=200,
)
async def publish_event(
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
) -> Event:
    return await _status("publish", str(event_id), request, principal, pool, redis, scripts)


@post(
    "/api/v1/events/{event_id:uuid}/pause",
    operation_id="pauseEvent",
    tags=["events"],
    status_code=200,
)
async def pause_event(
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
) -> Event:
    return await _status("pause", str(event_id), request, principal, pool, redis, scripts)


@post(
    "/api/v1/events/{event_id:uuid}/resume",
    operation_id="resumeEvent",
    tags=["events"],
    status_code=200,
)
async def resume_event(
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
) -> Event:
    return await _status("resume", str(event_id), request, principal, pool, redis, scripts)


@post(
    "/api/v1/events/{event_id:uuid}/unpublish",
    operation_id="unpublishEvent",
    tags=["events"],
    status_code=200,
)
async def unpublish_event(
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
) -> Event:
    event = await service.unpublish(pool, redis, scripts, principal, str(event_id))
    await audit.organizer_action(
        request, pool, principal, "event.unpublish", event.event_id, status=event.status
    )
    return await _present(redis, event, changed=True)


@post(
    "/api/v1/events/{event_id:uuid}/archive",
    operation_id="archiveEvent",
    tags=["events"],
    status_code=200,
)
async def archive_event(
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
) -> Event:
    event = await service.archive(pool, principal, str(event_id))
    await audit.organizer_action(
        request, pool, principal, "event.archive", event.event_id, status=event.status
    )
    return await _present(redis, event, changed=True)


@post(
    "/api/v1/events/{event_id:uuid}/duplicate",
    operation_id="duplicateEvent",
    tags=["events"],
    status_code=201,
)
async def duplicate_event(
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
    seat_maps: service.SeatMaps,
    phase_rooms: service.PhaseRooms,
    data: DuplicateIn | None = None,
) -> Event:
    event = await service.duplicate(
        pool,
        redis,
        scripts,
        principal,
        str(event_id),
        data or DuplicateIn(),
        seat_maps,
        phase_rooms,
    )
    await audit.organizer_action(
        request, pool, principal, "event.duplicate", event.event_id, source=str(event_id)
    )
    return await _present(redis, event, changed=True)


ROUTES = [
    create_event,
    get_event,
    list_events,
    patch_event,
    publish_event,
    pause_event,
    resume_event,
    unpublish_event,
    archive_event,
    duplicate_event,
]
