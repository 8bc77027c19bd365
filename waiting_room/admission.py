"""Admission ticks and the random_at_open shuffle steps, over the queue Lua scripts."""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.scripts import Scripts
from waiting_room import qkeys

SEQ = 1 << 26
# Bounds one tick's run time even when a long run of no-shows is skipped.
MAX_EXAMINE = 20_000
# Cron jitter: a tick counts as due this long before its exact time.
TICK_SLACK_MS = 500
SKIP_RETENTION_MS = 6 * 3600 * 1000
RATE_WINDOW_MS = 5 * 60 * 1000
REORDER_CHUNK = 2_000
ENTRANT_CHUNK = 10_000

TICK_CODES = {
    1: "admitted",
    0: "not_due",
    2: "paused",
    3: "closed",
    4: "not_open",
    5: "disabled",
    6: "awaiting_shuffle",
    -4: "no_event",
}


class TickResult(msgspec.Struct, frozen=True):
    outcome: str
    admitted: int
    skipped: int
    active: int
    waiting: int


async def tick(scripts: Scripts, event_id: str, now_ms: int) -> TickResult:
    """One admission step; exactly one caller per interval admits (checked in Lua)."""
    short, long = qkeys.presence_keys(event_id, now_ms)
    raw = await scripts.run(
        "admit_batch",
        keys=[
            keys.event_meta(event_id),
            keys.inventory(event_id),
            qkeys.line(event_id),
            qkeys.state(event_id),
            qkeys.sessions(event_id),
            qkeys.skipped(event_id),
            qkeys.comeback(event_id),
            keys.active_sessions(event_id),
            qkeys.ticks(event_id),
            *short,
            *long,
        ],
        args=[
            now_ms,
            len(short),
            len(long),
            MAX_EXAMINE,
            TICK_SLACK_MS,
            SKIP_RETENTION_MS,
            RATE_WINDOW_MS,
        ],
    )
    code, admitted, skipped, active, waiting = (int(x) for x in raw)
    return TickResult(TICK_CODES.get(code, str(code)), admitted, skipped, active, waiting)


async def seal(scripts: Scripts, event_id: str, now_ms: int) -> tuple[bool, int, bool]:
    """(sealed, boundary seq, already opened) of the pre-queue."""
    raw = await scripts.run(
        "queue_seal", keys=[keys.event_meta(event_id), qkeys.state(event_id)], args=[now_ms]
    )
    return bool(int(raw[0])), int(raw[1]), bool(int(raw[2]))


async def pre_queue_entrants(redis: Redis, event_id: str, boundary: int) -> list[tuple[str, int]]:
    """(user_id, arrival seq) of everyone still in the sealed pre-queue, by arrival.

    Read before the reorder: entrants still carry score seq * 2^26 + seq.
    """
    out: list[tuple[str, int]] = []
    top = boundary * SEQ + boundary
    start = 0
    while True:
        rows = await redis.zrangebyscore(
            qkeys.line(event_id), "-inf", top, start=start, num=ENTRANT_CHUNK, withscores=True
        )
        for member, score in rows:
            out.append((qkeys.user_of(member), int(score) % SEQ))
        if len(rows) < ENTRANT_CHUNK:
            return out
        start += ENTRANT_CHUNK


async def apply_draw(scripts: Scripts, event_id: str, ordered: list[tuple[str, int]]) -> int:
    """Give the ordered entrants ranks 1..N in the line, then open admission."""
    changed = 0
    chunks = [ordered[i : i + REORDER_CHUNK] for i in range(0, len(ordered), REORDER_CHUNK)]
    if not chunks:
        chunks = [[]]
    rank = 0
    for i, chunk in enumerate(chunks):
        args: list[str | int] = ["1" if i == len(chunks) - 1 else "0"]
        for user_id, seq in chunk:
            rank += 1
            args.extend((qkeys.member_of(user_id), seq, rank))
        changed += int(
            await scripts.run(
                "queue_reorder", keys=[qkeys.line(event_id), qkeys.state(event_id)], args=args
            )
        )
    return changed
