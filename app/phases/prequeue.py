"""A sale phase's own pre-queue shuffle: sealed when the phase opens, ordered by the
phase's committed seed, its entrants recorded so anyone can recompute the order.

The fans who entered the room for the phase before it opened (the room's `phase:of`
says which phase each fan entered in) swap places among themselves: the seeded order
takes the places they arrived at, so fans of other phases in the same line keep
theirs, and whoever arrives after the opening stays behind them.
"""

from __future__ import annotations

import logging

import asyncpg
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import to_epoch_ms
from app.core.scripts import Scripts
from app.phases import cache, repo
from waiting_room import admission, fairness
from waiting_room.members import user_of

log = logging.getLogger("onsale.phases")

DERIVATION = (
    fairness.DERIVATION
    + "; entrants are the fans who entered the room for the phase before it opened; "
    "the order takes the entrants' own arrival places (their arrival seqs, ascending)"
)

CHUNK = 10_000


async def _entrants(
    redis: Redis, event_id: str, phase_id: str, boundary: int
) -> list[tuple[str, int]]:
    """(user_id, arrival seq) of the fans in line who entered for the phase before it opened."""
    seq_bits = admission.SEQ
    rows = await redis.zrangebyscore(
        keys.queue_line(event_id), "-inf", (boundary + 1) * seq_bits - 1, withscores=True
    )
    candidates = [
        (m, int(score) % seq_bits) for m, score in rows if int(score) % seq_bits <= boundary
    ]
    out: list[tuple[str, int]] = []
    for i in range(0, len(candidates), CHUNK):
        chunk = candidates[i : i + CHUNK]
        phases = await redis.hmget(keys.phase_of(event_id), [m for m, _ in chunk])  # type: ignore[misc]
        out += [
            (user_of(m), seq)
            for (m, seq), p in zip(chunk, phases, strict=True)
            if _text(p) == phase_id
        ]
    return sorted(out, key=lambda e: e[1])


def _text(value: str | bytes | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def placed(seed: str, entrants: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """(user_id, arrival seq, place) of each entrant: the seeded order over the entrants'
    own arrival places, ascending (the proof: docs/fans-organizers/sale-phases.md)."""
    seq_of = dict(entrants)
    ordered = fairness.draw_order(seed, seq_of)
    slots = sorted(seq_of.values())
    return [(u, seq_of[u], slot) for u, slot in zip(ordered, slots, strict=True)]


async def shuffle(
    pool: asyncpg.Pool, redis: Redis, scripts: Scripts, event_id: str, phase_id: str, now_ms: int
) -> int | None:
    """Seal the phase's pre-queue, record its entrants, apply the seeded order, open the
    phase's admission. Idempotent step by step, like the event's own shuffle.
    Returns the number of entrants, or None when the phase is unknown or not open yet."""
    phase = next((p for p in await cache.phases(pool, event_id) if p.phase_id == phase_id), None)
    if phase is None:
        return None
    sealed, boundary, opened = await admission.seal(
        scripts, event_id, now_ms, phase_id, to_epoch_ms(phase.opens_at)
    )
    if not sealed:
        return None
    if await repo.queue_draw(pool, phase_id) is None:
        entrants = await _entrants(redis, event_id, phase_id, boundary)
        async with pool.acquire() as conn, conn.transaction():
            await repo.insert_queue_draw(conn, phase_id, boundary, entrants)
    rows = placed(phase.seed, await repo.queue_entrants(pool, phase_id))
    if not opened:
        await admission.apply_draw(
            scripts,
            event_id,
            [(u, seq) for u, seq, _ in rows],
            phase_id=phase_id,
            slots=[slot for _, _, slot in rows],
        )
        log.info("pre-queue of phase %s drawn: %d entrants", phase_id, len(rows))
    return len(rows)


async def entrant_export(pool: asyncpg.Pool, phase_id: str) -> tuple[bool, list[tuple[str, int]]]:
    """(sealed, [(user_id, arrival seq)] in arrival order) of a phase's pre-queue."""
    if await repo.queue_draw(pool, phase_id) is None:
        return False, []
    return True, await repo.queue_entrants(pool, phase_id)
