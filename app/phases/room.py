"""Each sale phase's waiting-room settings, mirrored into the event's meta hash.

The queue scripts (join, status, admission tick) already read the event's meta hash;
its `wr_phases` field carries every phase's window and room settings, so the room runs
by the phase open now (lua/_phase_room.lua) without a read of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import to_epoch_ms
from app.core.db import Conn
from app.phases import repo
from app.phases.model import PhaseRecord

FIELD = "wr_phases"


def _opt(value: object) -> str:
    return "" if value is None else str(value)


def schedule(phases: Iterable[PhaseRecord]) -> str:
    """'<id>,<opens_ms>,<closes_ms>,<prequeue_ms>,<mode>,<batch>,<interval_s>;…' by
    opening ('' for a setting the phase leaves to the event's room)."""
    entries = []
    for p in sorted(phases, key=lambda p: (p.opens_at, p.phase_id)):
        room = p.room
        prequeue = to_epoch_ms(room.prequeue_opens_at) if room.prequeue_opens_at else None
        entries.append(
            ",".join(
                [
                    p.phase_id,
                    str(to_epoch_ms(p.opens_at)),
                    str(to_epoch_ms(p.closes_at)),
                    _opt(prequeue),
                    _opt(room.mode),
                    _opt(room.admit_batch_size),
                    _opt(room.admit_interval_s),
                ]
            )
        )
    return ";".join(entries)


async def write(redis: Redis, event_id: str, phases: Iterable[PhaseRecord]) -> None:
    await redis.hset(keys.event_meta(event_id), FIELD, schedule(phases))  # type: ignore[misc]


async def sync(pool: Conn, redis: Redis, event_id: str) -> None:
    """Mirror the event's phases as stored (after a change, and when Redis is rebuilt)."""
    await write(redis, event_id, await repo.event_phases(pool, event_id))


class PhaseRoomSync:
    """`sync` as an object: what a duplicated event's copy is given (app.events.service's
    PhaseRooms) to mirror its copied phases."""

    async def sync(self, pool: Conn, redis: Redis, event_id: str) -> None:
        await sync(pool, redis, event_id)


class RoomPhase(msgspec.Struct, frozen=True):
    """One entry of the schedule, as lua/_phase_room.lua reads it."""

    phase_id: str
    opens_ms: int
    closes_ms: int
    prequeue_ms: int


def parse(raw: str | None) -> list[RoomPhase]:
    out: list[RoomPhase] = []
    for entry in (raw or "").split(";"):
        if not entry:
            continue
        fields = entry.split(",")
        opens = int(fields[1])
        prequeue = min(int(fields[3]), opens) if fields[3] else opens
        out.append(RoomPhase(fields[0], opens, int(fields[2]), prequeue))
    return out


def current(raw: str | None, now_ms: int) -> RoomPhase | None:
    """The phase the room runs by at `now_ms` (the same choice as lua/_phase_room.lua)."""
    open_now: RoomPhase | None = None
    next_up: RoomPhase | None = None
    for p in parse(raw):
        if p.opens_ms <= now_ms < p.closes_ms:
            if open_now is None or p.opens_ms >= open_now.opens_ms:
                open_now = p
        elif p.prequeue_ms <= now_ms < p.opens_ms and (
            next_up is None or p.opens_ms < next_up.opens_ms
        ):
            next_up = p
    return open_now or next_up
