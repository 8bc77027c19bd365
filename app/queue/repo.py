"""The sealed pre-queue in Postgres, through named SQL blocks."""

from __future__ import annotations

import uuid

import asyncpg

from app.core.db import Conn
from app.core.sql import queries


async def fairness(conn: Conn, event_id: str) -> tuple[str, str, str] | None:
    """(seed, seed_sha256, mode) of an event."""
    row = await conn.fetchrow(queries.queue_event_fairness, uuid.UUID(event_id))
    if row is None:
        return None
    return row["fairness_seed"], row["fairness_seed_sha256"], row["mode"] or "fifo"


async def draw(conn: Conn, event_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(queries.queue_draw, uuid.UUID(event_id))


async def insert_draw(
    conn: asyncpg.Connection, event_id: str, boundary: int, entrants: list[tuple[str, int]]
) -> None:
    """Seal the pre-queue once; call inside a transaction."""
    event = uuid.UUID(event_id)
    await conn.execute(queries.insert_queue_draw, event, boundary, len(entrants))
    for i in range(0, len(entrants), 10_000):
        chunk = entrants[i : i + 10_000]
        await conn.execute(
            queries.insert_queue_entrants,
            event,
            [uuid.UUID(u) for u, _ in chunk],
            [s for _, s in chunk],
        )


async def entrants(conn: Conn, event_id: str) -> list[tuple[str, int]]:
    rows = await conn.fetch(queries.queue_entrants, uuid.UUID(event_id))
    return [(str(r["user_id"]), int(r["arrival_seq"])) for r in rows]
