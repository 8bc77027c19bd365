"""Join, status and leave of one fan in an event's waiting room (all Lua, O(log n))."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import now_ms
from app.core.errors import AppError, not_found, sale_not_open
from app.core.i18n import N_
from app.core.ratelimit import Quota, rate_limited
from app.core.scripts import Scripts
from waiting_room import chance, party, tokens
from waiting_room.members import member_of
from waiting_room.scripts import Join, Place, StatusReply, queue_scripts

STATES = {
    Place.PREQUEUE: "prequeue",
    Place.WAITING: "waiting",
    Place.ADMITTED: "admitted",
    Place.EXPIRED: "expired",
    Place.CLOSED: "closed",
    Place.PHASE_ENDED: "phase_ended",
}
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
    chance: float | None = None
    eta_range_s: tuple[int, int] | None = None
    eta_confidence: str | None = None
    # The line's admitted-up-to count read with the place (in line only): what the
    # signed join receipt carries (app.queue.receipt).
    admitted_through: int | None = None
    # A fan in a pre-queue: when its room (its sale phase's) opens, epoch ms.
    opens_at_ms: int | None = None


def phase_not_open() -> AppError:
    """The sale phase a join was let in for opened or closed in between (the door asks
    again once; a second refusal reaches the fan)."""
    return AppError(
        "phase_not_open",
        409,
        "Sale phase not open",
        N_("This sale phase has just closed or not opened yet; try again"),
    )


class JoinResult(msgspec.Struct, frozen=True):
    created: bool
    view: QueueView


def _view(reply: StatusReply, *, secret: str, event_id: str, user_id: str) -> QueueView:
    if reply.place is Place.NO_EVENT:
        raise not_found("Event")
    if reply.place is Place.NOT_IN_QUEUE:
        raise not_found("Queue place")
    known = reply.eta_s >= 0
    token = None
    expires = None
    if reply.place is Place.ADMITTED:
        expires = reply.expires_ms
        token = tokens.issue(
            secret,
            tokens.Admission(
                event_id=event_id,
                user_id=user_id,
                session_id=reply.session_id,
                expires_at_ms=expires,
            ),
        )
    return QueueView(
        state=STATES[reply.place],
        position=reply.position,
        ahead=reply.ahead,
        eta_s=reply.eta_s if known else None,
        poll_after_s=reply.poll_after_s,
        admission_token=token,
        admission_expires_at_ms=expires,
        eta_range_s=(reply.eta_low_s, reply.eta_high_s) if known else None,
        eta_confidence=CONFIDENCE.get(reply.eta_confidence) if known else None,
        admitted_through=reply.admitted_through,
        opens_at_ms=reply.opens_ms or None,
    )


async def _with_chance(scripts: Scripts, event_id: str, view: QueueView) -> QueueView:
    if view.state != "waiting":
        return view
    odds = await chance.odds(scripts.redis, event_id)
    return msgspec.structs.replace(view, chance=odds.of(view.ahead, view.admitted_through))


async def status(
    redis: Redis,
    scripts: Scripts,
    secret: str,
    event_id: str,
    user_id: str,
    quotas: Sequence[Quota | None] = (),
) -> QueueView:
    """The fan's current state; counts as a poll (presence for the no-show rule).

    A party member's place is its leader's (one read more only for fans who
    are not in the line themselves). `quotas` (a stream's open: stream_ip,
    stream_account) are counted by the status script itself: 429 when one refuses.
    """
    member = member_of(user_id)
    now = now_ms()
    reply = await queue_scripts(scripts).status(event_id, member, now, quotas=quotas)
    if reply.place is Place.RATE_LIMITED:
        raise rate_limited(reply.position)
    if reply.place is Place.NOT_IN_QUEUE:
        leader = await party.leader_of(scripts, event_id, member)
        if leader is not None and leader != member:
            reply = await queue_scripts(scripts).status(event_id, leader, now)
    view = _view(reply, secret=secret, event_id=event_id, user_id=user_id)
    return await _with_chance(scripts, event_id, view)


async def join(
    redis: Redis,
    scripts: Scripts,
    secret: str,
    event_id: str,
    user_id: str,
    quotas: Sequence[Quota | None] = (),
    phase_id: str = "",
) -> JoinResult:
    """One place per account: a repeat (even racing) returns the same place.

    A party member has the party's place and gets no place of its own (and,
    reading its leader's place, counts toward no join limit). `quotas` are
    queue_join_account and queue_join_ip, counted by the join script. `phase_id`: the
    sale phase the room's door let the account in for; the script places it only if that
    phase is joinable at its own clock (else 409 `phase_not_open`, nothing changed).
    """
    member = member_of(user_id)
    # The script itself refuses a party member (Join.PARTY_MEMBER): a join reads no
    # party of its own, one round trip for everyone but party members.
    code, retry_s, reply = await queue_scripts(scripts).join_and_status(
        event_id, member, now_ms(), quotas, phase_id
    )
    if code is Join.PHASE_NOT_OPEN:
        raise phase_not_open()
    if code is Join.PARTY_MEMBER:
        view = await status(redis, scripts, secret, event_id, user_id)
        return JoinResult(created=False, view=view)
    if code is Join.RATE_LIMITED:
        raise rate_limited(retry_s)
    if code is Join.NO_EVENT:
        raise not_found("Event")
    if code is Join.NOT_OPEN:
        raise sale_not_open("The waiting room of this event is not open yet")
    if code is Join.CLOSED:
        return JoinResult(created=False, view=QueueView("closed", 0, 0, None, 60))
    view = _view(reply, secret=secret, event_id=event_id, user_id=user_id)
    view = await _with_chance(scripts, event_id, view)
    return JoinResult(created=code is Join.CREATED, view=view)


async def leave(redis: Redis, scripts: Scripts, event_id: str, user_id: str) -> bool:
    """Leave the line or end the session: the slot is free and the token dead at once.

    A party member leaves only its party; the leader leaving dissolves the party.
    """
    member = member_of(user_id)
    leader = await party.leader_of(scripts, event_id, member)
    if leader is not None:
        await party.leave(scripts, event_id, member)
        if leader != member:
            return True
    return await queue_scripts(scripts).leave(event_id, member)


async def session_active(redis: Redis, event_id: str, session_id: str) -> bool:
    """Whether an admission session is live (the hold script checks the same atomically)."""
    score = await redis.zscore(keys.active_sessions(event_id), session_id)
    return score is not None and float(score) > now_ms()
