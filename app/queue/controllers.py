"""HTTP endpoints of the waiting room: join, status, stream, leave, entrant export."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

import anyio
import asyncpg
import msgspec
from litestar import Request, Response, delete, get, post
from litestar.background_tasks import BackgroundTask
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage
from redis.asyncio import Redis

from app.audit import service as audit
from app.auth import sessions
from app.core import entry, pow
from app.core.clientip import audit_origin, client_ip
from app.core.clock import from_epoch_ms
from app.core.errors import AppError, unauthorized
from app.core.ratelimit import RateLimiter
from app.core.scripts import Scripts
from app.core.security import Principal
from app.core.settings import Settings
from app.events import service as events
from app.phases import gate
from app.phases.schemas import JoinIn
from app.queue import receipt, service, streamcap, streamtoken
from app.queue.schemas import Entrant, EntrantExport, QueueStatus
from waiting_room import fairness, queue
from waiting_room.queue import QueueView

# The stream re-checks a fan's place at most this often, and pushes at least
# every KEEPALIVE_S even when nothing changed.
STREAM_MIN_CHECK_S = 1.0
STREAM_KEEPALIVE_S = 30.0
# A stream ends on a final state, and in any case after this long (an
# EventSource reconnects by itself), so no connection is held forever.
STREAM_FINAL_STATES = ("admitted", "expired", "closed", "phase_ended")
STREAM_MAX_S = 900.0


class PowDifficultyIn(msgspec.Struct, forbid_unknown_fields=True):
    difficulty: Annotated[int, msgspec.Meta(ge=0, le=pow.MAX_DIFFICULTY)]


class PowDifficulty(msgspec.Struct):
    event_id: str
    difficulty: int


def present(
    view: QueueView, stream_token: str | None = None, receipt_code: str | None = None
) -> QueueStatus:
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
        receipt=receipt_code,
        chance=view.chance,
        opens_at=from_epoch_ms(view.opens_at_ms) if view.opens_at_ms is not None else None,
    )


def with_receipt(settings: Settings, event_id: str, view: QueueView) -> str | None:
    """The signed receipt of a fan still in line (app.queue.receipt), else None."""
    if view.state not in ("waiting", "prequeue") or view.admitted_through is None:
        return None
    return receipt.issue(settings.secret_key, event_id, view.position, view.admitted_through)


def _with_stream(
    view: QueueView, settings: Settings, event_id: str, principal: Principal
) -> QueueStatus:
    """QueueStatus with its stream token (bound to the caller's session) and, while in
    line, its receipt."""
    return present(
        view,
        streamtoken.issue(settings.secret_key, event_id, principal.user_id, principal.session_id),
        with_receipt(settings, event_id, view),
    )


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
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    redis: Redis,
    scripts: Scripts,
    settings: Settings,
    pool: asyncpg.Pool,
    data: JoinIn | None = None,
    pow_challenge: entry.PowChallenge = None,
    pow_nonce: entry.PowNonce = None,
) -> Response[QueueStatus]:
    """In an event sold in phases, the body's `access_code` opens a code or draw phase
    (403 code_required / code_invalid); the token then names the phase."""
    eid = str(event_id)
    limiter: RateLimiter = request.app.state.limiter
    # Counted by the join script itself, on the event's keys (no round trip of their own).
    quotas = (
        limiter.quota("queue_join_account", principal.user_id),
        limiter.quota("queue_join_ip", client_ip(request)),
    )
    # A sale phase may ask for its own proof-of-work difficulty.
    difficulty = await gate.pow_default(pool, eid, settings.pow_difficulty)
    if difficulty != settings.pow_difficulty:
        settings = msgspec.structs.replace(settings, pow_difficulty=difficulty)
    required = await entry.pay_pow(
        redis, settings, pow_challenge, pow_nonce, event_id=eid, user_id=principal.user_id
    )
    code = data.access_code if data else None
    phase = await gate.admit(pool, principal, eid, code)
    try:
        result = await queue.join(
            redis, scripts, settings.secret_key, eid, principal.user_id, quotas, gate.id_of(phase)
        )
    except AppError as exc:
        # The phase the door chose closed (or the next opened) before the join script ran,
        # by its clock: the door chooses again, once, for the phase of that moment.
        if exc.code != "phase_not_open":
            raise
        phase = await gate.admit(pool, principal, eid, code)
        result = await queue.join(
            redis, scripts, settings.secret_key, eid, principal.user_id, quotas, gate.id_of(phase)
        )
    if result.created and required:
        await pow.count_join(redis, eid)
    view = result.view
    if phase is not None:
        view = await gate.stamp(pool, redis, settings.secret_key, eid, principal.user_id, view)
    status = _with_stream(view, settings, eid, principal)
    return Response(status, status_code=201 if result.created else 200)


@get(
    "/api/v1/events/{event_id:uuid}/queue/challenge",
    operation_id="getQueueChallenge",
    tags=["queue"],
    description="A proof-of-work challenge for joining this event's queue (difficulty 0: none).",
)
async def queue_challenge(
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
) -> pow.ChallengeOut:
    eid = str(event_id)
    limiter: RateLimiter = request.app.state.limiter
    await limiter.hit("pow_challenge_account", principal.user_id)
    await events.get_visible_event(pool, principal, eid)
    default = await gate.pow_default(pool, eid, settings.pow_difficulty)
    difficulty = await pow.current_difficulty(redis, eid, default)
    return pow.issue(settings.secret_key, eid, principal.user_id, difficulty)


@post(
    "/api/v1/events/{event_id:uuid}/queue/pow",
    operation_id="setQueuePowDifficulty",
    tags=["queue"],
    status_code=200,
    description="Organizer: proof-of-work difficulty (leading zero bits) to join; 0 turns it off.",
)
async def set_pow_difficulty(
    event_id: UUID,
    data: PowDifficultyIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
) -> PowDifficulty:
    event = await events.get_managed_event(pool, principal, str(event_id))
    await pow.set_difficulty(redis, event.event_id, data.difficulty)
    await audit.record_event(
        pool,
        principal,
        "event.pow_difficulty",
        event.event_id,
        client_ip=audit_origin(request),
        detail={"difficulty": data.difficulty},
    )
    return PowDifficulty(event_id=event.event_id, difficulty=data.difficulty)


@get("/api/v1/events/{event_id:uuid}/queue", operation_id="getQueueStatus", tags=["queue"])
async def queue_status(
    event_id: UUID,
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
    settings: Settings,
) -> QueueStatus:
    eid = str(event_id)
    view = await queue.status(redis, scripts, settings.secret_key, eid, principal.user_id)
    view = await gate.stamp(pool, redis, settings.secret_key, eid, principal.user_id, view)
    return _with_stream(view, settings, eid, principal)


@get(
    "/api/v1/events/{event_id:uuid}/queue/stream",
    operation_id="streamQueueStatus",
    tags=["queue"],
)
async def queue_stream(
    event_id: UUID,
    request: Request[Any, Any, Any],
    maybe_principal: Principal | None,
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
    settings: Settings,
    token: str | None = None,
) -> ServerSentEvent:
    """Authorization header, or ?token=<stream_token> (what an EventSource can send)."""
    eid = str(event_id)
    user_id = maybe_principal.user_id if maybe_principal else None
    session_id = maybe_principal.session_id if maybe_principal else ""
    if user_id is None and token:
        grant = streamtoken.grant_of(settings.secret_key, token, eid)
        # The token's session must still be open: a stream token ends with its sign-in.
        if grant is not None and await sessions.is_active(redis, grant.session_id):
            user_id, session_id = grant.user_id, grant.session_id
    if user_id is None:
        raise unauthorized("A bearer token or a valid stream token is required")
    limiter: RateLimiter = request.app.state.limiter
    # Counted by the status script itself, on the event's keys (no round trip of their own).
    quotas = (
        limiter.quota("stream_ip", client_ip(request)),
        limiter.quota("stream_account", user_id),
    )
    first = await queue.status(redis, scripts, settings.secret_key, eid, user_id, quotas)
    slot = await streamcap.acquire(redis, user_id, settings.max_streams_per_account)

    async def release() -> None:
        # Shielded: on a client disconnect the response's cancel scope is cancelled, and
        # an unshielded await here would be cancelled too, leaving the slot taken until
        # its lease lapses. Bounded, so a Redis outage cannot hold the connection task.
        with anyio.CancelScope(shield=True), anyio.move_on_after(streamcap.RELEASE_TIMEOUT_S):
            await streamcap.release(redis, user_id, slot)

    async def messages() -> AsyncIterator[ServerSentEventMessage]:
        view: QueueView | None = first
        last_sent: QueueView | None = None
        last_sent_at = 0.0
        ends_at = time.monotonic() + STREAM_MAX_S
        try:
            while view is not None:
                now = time.monotonic()
                if view != last_sent or now - last_sent_at >= STREAM_KEEPALIVE_S:
                    shown = await gate.stamp(pool, redis, settings.secret_key, eid, user_id, view)
                    body = msgspec.json.encode(present(shown)).decode()
                    yield ServerSentEventMessage(data=body, event="status")
                    last_sent, last_sent_at = view, now
                if view.state in STREAM_FINAL_STATES or now >= ends_at:
                    return
                if not await sessions.is_active(redis, session_id):
                    return  # signed out: the stream ends with the session (cached check)
                await asyncio.sleep(min(max(STREAM_MIN_CHECK_S, view.poll_after_s / 4), 15.0))
                await streamcap.renew(redis, user_id, slot)
                try:
                    view = await queue.status(redis, scripts, settings.secret_key, eid, user_id)
                except AppError:
                    view = None
        finally:
            await release()

    # The background task covers a generator left suspended at a yield when the client
    # went away (then its finally would only run when it is garbage collected).
    return ServerSentEvent(messages(), background=BackgroundTask(release))


@delete("/api/v1/events/{event_id:uuid}/queue", operation_id="leaveQueue", tags=["queue"])
async def leave_queue(
    event_id: UUID, principal: Principal, pool: asyncpg.Pool, redis: Redis, scripts: Scripts
) -> None:
    eid = str(event_id)
    if not await queue.leave(redis, scripts, eid, principal.user_id):
        # Nothing to leave: still 204 for an event the caller can see (a retried
        # DELETE), but an event hidden from the caller stays a 404.
        await events.get_visible_event(pool, principal, eid)


@get(
    "/api/v1/events/{event_id:uuid}/queue/entrants",
    operation_id="exportQueueEntrants",
    tags=["queue"],
)
async def queue_entrants(
    event_id: UUID, request: Request[Any, Any, Any], principal: Principal, pool: asyncpg.Pool
) -> EntrantExport:
    """Organizer export of the sealed pre-queue (random_at_open), to recompute the draw."""
    event = await events.get_managed_event(pool, principal, str(event_id), need="read")
    sealed, entrants = await service.entrant_export(pool, event.event_id)
    await audit.record_event(
        pool,
        principal,
        "event.export_entrants",
        event.event_id,
        client_ip=audit_origin(request),
        detail={"entrants": len(entrants)},
    )
    return EntrantExport(
        event_id=event.event_id,
        mode=event.waiting_room.mode,
        sealed=sealed,
        seed_sha256=event.fairness_seed_sha256,
        seed=event.fairness_seed if events.seed_revealed(event) else None,
        derivation=fairness.DERIVATION,
        entrants=[Entrant(user_id=u, arrival=s) for u, s in entrants],
    )


ROUTES = [
    join_queue,
    queue_challenge,
    set_pow_difficulty,
    queue_status,
    queue_stream,
    leave_queue,
    queue_entrants,
]
