"""Admission ticks and the random_at_open draw steps, over the queue scripts."""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.scripts import Scripts
from waiting_room.members import member_of, user_of
from waiting_room.scripts import Tick, queue_scripts

SEQ = 1 << 26
REORDER_CHUNK = 2_000
ENTRANT_CHUNK = 10_000

TICK_OUTCOMES = {
    Tick.ADMITTED: "admitted",
    Tick.NOT_DUE: "not_due",
    Tick.PAUSED: "paused",
    Tick.CLOSED: "closed",
    Tick.NOT_OPEN: "not_open",
    Tick.DISABLED: "disabled",
    Tick.AWAITING_SHUFFLE: "awaiting_shuffle",
    Tick.NO_EVENT: "no_event",
}


class TickResult(msgspec.Struct, frozen=True):
    outcome: str
    admitted: int
    skipped: int
    active: int
    waiting: int
    phase_id: str = ""  # awaiting_shuffle: the sale phase whose shuffle is due ('' the event's)


async def tick(scripts: Scripts, event_id: str, now_ms: int) -> TickResult:
    """One admission step; exactly one caller per interval admits (checked in Lua)."""
    reply = await queue_scripts(scripts).admit_batch(event_id, now_ms)
    return TickResult(
        TICK_OUTCOMES[reply.code],
        reply.admitted,
        reply.skipped,
        reply.active,
        reply.waiting,
        reply.phase_id,
    )


async def seal(
    scripts: Scripts, event_id: str, now_ms: int, phase_id: str = "", phase_opens_ms: int = 0
) -> tuple[bool, int, bool]:
    """(sealed, boundary seq, already opened) of the pre-queue (a sale phase's, if given)."""
    return await queue_scripts(scripts).seal(event_id, now_ms, phase_id, phase_opens_ms)


async def pre_queue_entrants(redis: Redis, event_id: str, boundary: int) -> list[tuple[str, int]]:
    """(user_id, arrival seq) of everyone still in the sealed pre-queue, by arrival.

    Read before the reorder: entrants still carry score seq * 2^26 + seq.
    """
    out: list[tuple[str, int]] = []
    top = boundary * SEQ + boundary
    start = 0
    while True:
        rows = await redis.zrangebyscore(
            keys.queue_line(event_id), "-inf", top, start=start, num=ENTRANT_CHUNK, withscores=True
        )
        for member, score in rows:
            out.append((user_of(member), int(score) % SEQ))
        if len(rows) < ENTRANT_CHUNK:
            return out
        start += ENTRANT_CHUNK


async def apply_draw(
    scripts: Scripts,
    event_id: str,
    ordered: list[tuple[str, int]],
    phase_id: str = "",
    slots: list[int] | None = None,
) -> int:
    """Give the ordered entrants ranks 1..N in the line (or, for a sale phase's pre-queue,
    the places `slots`, ascending), then open admission (the phase's, if given)."""
    changed = 0
    chunks = [ordered[i : i + REORDER_CHUNK] for i in range(0, len(ordered), REORDER_CHUNK)]
    if not chunks:
        chunks = [[]]
    rank = 0
    for i, chunk in enumerate(chunks):
        triples: list[str | int] = []
        for user_id, seq in chunk:
            place = slots[rank] if slots is not None else rank + 1
            rank += 1
            triples.extend((member_of(user_id), seq, place))
        changed += await queue_scripts(scripts).reorder(
            event_id, i == len(chunks) - 1, triples, phase_id
        )
    return changed
