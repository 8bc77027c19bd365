"""Waiting-room operations that need Postgres: the pre-queue draw at open and its export."""

from __future__ import annotations

import logging

import asyncpg
from redis.asyncio import Redis

from app.core.scripts import Scripts
from app.queue import repo
from waiting_room import admission, fairness

log = logging.getLogger("onsale.queue")


async def shuffle_pre_queue(
    pool: asyncpg.Pool, redis: Redis, scripts: Scripts, event_id: str, now_ms: int
) -> int | None:
    """Seal the pre-queue, record its entrants, apply the seeded draw, open admission.

    Idempotent step by step: the entrant list is written once (Postgres keys),
    and a rerun recomputes the same order from it and rewrites the same scores.
    Returns the number of entrants, or None when the event is not open yet.
    """
    sealed, boundary, opened = await admission.seal(scripts, event_id, now_ms)
    if not sealed:
        return None
    info = await repo.fairness(pool, event_id)
    if info is None:
        return None
    seed, _, _ = info
    if await repo.draw(pool, event_id) is None:
        entrants = await admission.pre_queue_entrants(redis, event_id, boundary)
        async with pool.acquire() as conn, conn.transaction():
            await repo.insert_draw(conn, event_id, boundary, entrants)
    entrants = await repo.entrants(pool, event_id)
    seq_of = dict(entrants)
    ordered = [(u, seq_of[u]) for u in fairness.draw_order(seed, seq_of)]
    if not opened:
        await admission.apply_draw(scripts, event_id, ordered)
        log.info("pre-queue of %s drawn: %d entrants", event_id, len(ordered))
    return len(ordered)


async def entrant_export(pool: asyncpg.Pool, event_id: str) -> tuple[bool, list[tuple[str, int]]]:
    """(sealed, [(user_id, arrival seq)] in arrival order) of the pre-queue draw."""
    if await repo.draw(pool, event_id) is None:
        return False, []
    return True, await repo.entrants(pool, event_id)
