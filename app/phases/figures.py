"""Per-phase figures of the room and the sale: fans who joined, were admitted, hold and
bought seats, each counted in the phase the account (last) entered the room in.

Read for the organizer's phase list, never on a fan's path: joins and admissions are
counted by the join and the admission tick as they happen; held and sold come from the
seats each account holds or bought (the hold scripts' per-account count) and the
confirmed orders, attributed through the room's `phase:of`.
"""

from __future__ import annotations

from collections import defaultdict

import asyncpg
from redis.asyncio import Redis

from app.core import keys
from app.phases import repo
from waiting_room.members import member_of

CHUNK = 10_000


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def _counts(redis: Redis, key: str) -> dict[str, int]:
    raw = await redis.hgetall(key)  # type: ignore[misc]
    return {_text(k): int(v) for k, v in raw.items()}


async def room_figures(
    pool: asyncpg.Pool, redis: Redis, event_id: str
) -> dict[str, dict[str, int]]:
    """phase_id -> {joined, admitted, held, sold}."""
    out: dict[str, dict[str, int]] = defaultdict(
        lambda: {"joined": 0, "admitted": 0, "held": 0, "sold": 0}
    )
    for pid, n in (await _counts(redis, keys.phase_joins(event_id))).items():
        out[pid]["joined"] = n
    for pid, n in (await _counts(redis, keys.phase_admits(event_id))).items():
        out[pid]["admitted"] = n
    seats = await _counts(redis, keys.user_seats(event_id))
    sold = await repo.sold_per_account(pool, event_id)
    accounts = sorted(seats.keys() | sold.keys())
    for i in range(0, len(accounts), CHUNK):
        chunk = accounts[i : i + CHUNK]
        phases = await redis.hmget(  # type: ignore[misc]
            keys.phase_of(event_id), [member_of(u) for u in chunk]
        )
        for user_id, pid in zip(chunk, phases, strict=True):
            if pid is None:
                continue
            figures = out[_text(pid)]
            bought = sold.get(user_id, 0)
            figures["sold"] += bought
            figures["held"] += max(0, seats.get(user_id, 0) - bought)
    return dict(out)
