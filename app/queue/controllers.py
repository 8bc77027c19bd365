"""HTTP endpoints of the waiting room: join, status, stream, leave, entrant export."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg
import msgspec
from litestar import Response, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage
from redis.asyncio import Redis

from app.auth.guards import require_role
from app.core.clock import from_epoch_ms
from app.core.errors import AppError, unauthorized
from app.core.scripts import Scripts
from app.core.security import Principal
from app.core.settings import Settings
from app.events import service as events
from app.queue import service, streamtoken
from app.queue.schemas import Entrant, EntrantExport, QueueStatus
from waiting_room import fairness, queue
from waiting_room.queue import QueueView

# The stream re-checks a fan's place at most this often, and pushes at least
# every KEEPALIVE_S even when nothing changed.
STREAM_MIN_CHECK_S = 1.0
STREAM_KEEPALIVE_S = 30.0


def _event_id(event_id: UUID) -> str:
    """The canonical (lower-case, hyphenated) form Redis and Postgres both see."""
    return str(event_id)


def present(view: QueueView, stream_token: str | None = None) -> QueueStatus:
    return QueueStatus(
        state=view.state,  # type: ignore[arg-type]
        position=view.position,
        ahead=view.ahead,
        eta_s=view.eta_s,
        eta_range_s=view.eta_range_s,
        eta_confidence=view.eta_confidence,  # type: ignore[arg-type]
        poll_after_s=view.poll_after_s,
        admission_token=view.admission_token,
        admission_expires_at=(
            from_epoch_ms(view.admission_expires_at_ms)
            if view.admission_expires_at_ms is not None
            else None
        ),
        stream_token=stream_token,
    )


def _with_stream(view: QueueView, settings: Settings, event_id: str, user_id: str) -> QueueStatus:
    return present(view, streamtoken.issue(settings.secret_key, event_id, user_id))


@post(
    "/api/v1/events/{event_id:uuid}/queue",
    operation_id="joinQueue",
    tags=["queue"],
    status_code=201,
    responses={
        200: ResponseSpec(data_container=QueueStatus, description="Already joined: the same place")
    },
)
async def join_queue(
    event_id: UUID, principal: Principal, redis: Redis, scripts: Scripts, settings: Settings
) -> Response[QueueStatus]:
    result = await queue.join(
        redis, scripts, settings.secret_key, _event_id(event_id), principal.user_id
    )
    status = _with_stream(result.view, settings, _event_id(event_id), principal.user_id)
    return Response(status, status_code=201 if result.created else 200)


@get("/api/v1/events/{event_id:uuid}/queue", operation_id="getQueueStatus", tags=["queue"])
async def queue_status(
    event_id: UUID, principal: Principal, redis: Redis, scripts: Scripts, settings: Settings
) -> QueueStatus:
    view = await queue.status(
        redis, scripts, settings.secret_key, _event_id(event_id), principal.user_id
    )
    return _with_stream(view, settings, _event_id(event_id), principal.user_id)


@get(
    "/api/v1/events/{event_id:uuid}/queue/stream",
    operation_id="streamQueueStatus",
    tags=["queue"],
)
async def queue_stream(
    event_id: UUID,
    maybe_principal: Principal | None,
    redis: Redis,
    scripts: Scripts,
    settings: Settings,
    token: str | None = None,
) -> ServerSentEvent:
    """Authorization header, or ?token=<stream_token> (what an EventSource can send)."""
    ev = _event_id(event_id)
    user_id = maybe_principal.user_id if maybe_principal else None
    if user_id is None and token:
        user_id = streamtoken.user_of(settings.secret_key, token, ev)
    if user_id is None:
        raise unauthorized("A bearer token or a valid stream token is required")
    first = await queue.status(redis, scripts, settings.secret_key, ev, user_id)

    async def messages() -> AsyncIterator[ServerSentEventMessage]:
        view: QueueView | None = first
        last_sent: QueueView | None = None
        last_sent_at = 0.0
        while view is not None:
            now = time.monotonic()
            if view != last_sent or now - last_sent_at >= STREAM_KEEPALIVE_S:
                body = msgspec.json.encode(present(view)).decode()
                yield ServerSentEventMessage(data=body, event="status")
                last_sent, last_sent_at = view, now
            if view.state in ("admitted", "expired"):
                return
            await asyncio.sleep(min(max(STREAM_MIN_CHECK_S, view.poll_after_s / 4), 15.0))
            try:
                view = await queue.status(redis, scripts, settings.secret_key, ev, user_id)
            except AppError:
                view = None

    return ServerSentEvent(messages())


@delete("/api/v1/events/{event_id:uuid}/queue", operation_id="leaveQueue", tags=["queue"])
async def leave_queue(event_id: UUID, principal: Principal, redis: Redis, scripts: Scripts) -> None:
    await queue.leave(redis, scripts, _event_id(event_id), principal.user_id)


@get(
    "/api/v1/events/{event_id:uuid}/queue/entrants",
    operation_id="exportQueueEntrants",
    tags=["queue"],
)
async def queue_entrants(event_id: UUID, principal: Principal, pool: asyncpg.Pool) -> EntrantExport:
    """Organizer export of the sealed pre-queue (random_at_open), to recompute the draw."""
    require_role(principal, "organizer")
    event = await events.get_managed_event(pool, principal, str(event_id))
    sealed, entrants = await service.entrant_export(pool, event.event_id)
    return EntrantExport(
        event_id=event.event_id,
        mode=event.waiting_room.mode,
        sealed=sealed,
        seed_sha256=event.fairness_seed_sha256,
        seed=event.fairness_seed if events.seed_revealed(event) else None,
        derivation=fairness.DERIVATION,
        entrants=[Entrant(user_id=u, arrival=s) for u, s in entrants],
    )


ROUTES = [join_queue, queue_status, queue_stream, leave_queue, queue_entrants]
