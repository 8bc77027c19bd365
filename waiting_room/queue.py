"""Join, status and leave of one fan in an event's waiting room (all Lua, O(log n))."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.errors import AppError, not_found
from app.core.scripts import Scripts
from waiting_room import qkeys, tokens

# A no-show who polls again within this long after being skipped is admitted next.
NOSHOW_GRACE_S = 600
# Poll-window bitmaps outlive the longest no-show threshold.
WINDOW_TTL_MS = (qkeys.LONG_NOSHOW_S + 3 * qkeys.SEEN_WINDOW_S) * 1000

STATES = {1: "prequeue", 2: "waiting", 3: "admitted", 4: "expired", 5: "closed"}
CONFIDENCE = {1: "low", 2: "medium", 3: "high"}


class QueueView(msgspec.Struct, frozen=True):
    """A fan's place as the status script reports it (plus a token once admitted)."""

    state: str
    position: int
    ahead: int
    eta_s: int | None  # None: not knowable now (paused, closed, not yet measured)
    poll_after_s: int
    admission_token: str | None = None
    admission_expires_at_ms: int | None = None
    eta_range_s: tuple[int, int] | None = None
    eta_confidence: str | None = None


class JoinResult(msgspec.Struct, frozen=True):
    created: bool
    view: QueueView


def now_ms() -> int:
    return int(time.time() * 1000)


def sale_not_open() -> AppError:
    return AppError(
        "sale_not_open", 409, "Sale not open", "The waiting room of this event is not open yet"
    )


def not_in_queue() -> AppError:
    return not_found("Queue place")


def _common_keys(event_id: str) -> list[str]:
    return [
        keys.event_meta(event_id),
        keys.inventory(event_id),
        qkeys.line(event_id),
        qkeys.state(event_id),
        qkeys.sessions(event_id),
        qkeys.skipped(event_id),
        qkeys.comeback(event_id),
        keys.active_sessions(event_id),
    ]


def join_keys(event_id: str, now: int) -> list[str]:
    """KEYS of queue_join.lua."""
    return [*_common_keys(event_id), qkeys.seen(event_id, qkeys.window_of(now))]


def status_call(scripts: Scripts, event_id: str, member: str, now: int, client: Any = None) -> Any:
    """One queue_status.lua call (awaitable; or queued on `client`, a pipeline)."""
    window = qkeys.window_of(now)
    return scripts.run(
        "queue_status",
        keys=[
            *_common_keys(event_id),
            qkeys.seen(event_id, window),
            qkeys.seen_long(event_id, window),
        ],
        args=[member, now, NOSHOW_GRACE_S * 1000, qkeys.SHORT_POLL_MAX_S, WINDOW_TTL_MS],
        client=client,
    )


def _view(raw: list[Any], *, secret: str, event_id: str, user_id: str) -> QueueView:
    code = int(raw[0])
    if code == -4:
        raise not_found("Event")
    if code == 0:
        raise not_in_queue()
    state = STATES[code]
    eta = int(raw[3])
    token = None
    expires = None
    if code == 3:
        expires = int(raw[6])
        token = tokens.issue(
            secret,
            tokens.Admission(
                event_id=event_id, user_id=user_id, session_id=str(raw[5]), expires_at_ms=expires
            ),
        )
    return QueueView(
        state=state,
        position=int(raw[1]),
        ahead=int(raw[2]),
        eta_s=eta if eta >= 0 else None,
        poll_after_s=int(raw[4]),
        admission_token=token,
        admission_expires_at_ms=expires,
        eta_range_s=(int(raw[7]), int(raw[8])) if eta >= 0 and len(raw) > 9 else None,
        eta_confidence=CONFIDENCE.get(int(raw[9])) if eta >= 0 and len(raw) > 9 else None,
    )


async def status(
    redis: Redis, scripts: Scripts, secret: str, event_id: str, user_id: str
) -> QueueView:
    """The fan's current state; counts as a poll (presence for the no-show rule)."""
    raw = await status_call(scripts, event_id, qkeys.member_of(user_id), now_ms())
    return _view(raw, secret=secret, event_id=event_id, user_id=user_id)


async def join(
    redis: Redis, scripts: Scripts, secret: str, event_id: str, user_id: str
) -> JoinResult:
    """One place per account: a repeat (even racing) returns the same place."""
    member = qkeys.member_of(user_id)
    now = now_ms()
    pipe = redis.pipeline(transaction=False)
    await scripts.run(
        "queue_join",
        keys=join_keys(event_id, now),
        args=[member, now, NOSHOW_GRACE_S * 1000, WINDOW_TTL_MS],
        client=pipe,
    )
    await status_call(scripts, event_id, member, now, client=pipe)
    joined, raw = await pipe.execute()
    code = int(joined[0])
    if code == -4:
        raise not_found("Event")
    if code == -1:
        raise sale_not_open()
    if code == -2:
        return JoinResult(created=False, view=QueueView("closed", 0, 0, 0, 60))
    view = _view(raw, secret=secret, event_id=event_id, user_id=user_id)
    return JoinResult(created=code == 1, view=view)


async def leave(redis: Redis, scripts: Scripts, event_id: str, user_id: str) -> bool:
    """Leave the line or end the session: the slot is free and the token dead at once."""
    removed = await scripts.run(
        "queue_leave",
        keys=[
            qkeys.line(event_id),
            qkeys.comeback(event_id),
            qkeys.skipped(event_id),
            qkeys.sessions(event_id),
            keys.active_sessions(event_id),
        ],
        args=[qkeys.member_of(user_id)],
    )
    return bool(removed)


async def session_active(redis: Redis, event_id: str, session_id: str) -> bool:
    """Whether an admission session is live (the hold script checks the same atomically)."""
    score = await redis.zscore(keys.active_sessions(event_id), session_id)
    return score is not None and float(score) > now_ms()
