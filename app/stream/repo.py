"""asyncpg calls of the stream publisher (named SQL)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from app.core.db import Conn
from app.core.sql import queries


async def claim_unpublished(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.claim_unpublished, limit)
    return rows


async def mark_published(conn: Conn, message_ids: Sequence[int]) -> None:
    if message_ids:
        await conn.execute(queries.mark_published, list(message_ids))


async def unpublished_count(conn: Conn) -> int:
    n: int = await conn.fetchval(queries.unpublished_count)
    return n


async def count_hold_moves(conn: Conn, limit: int) -> int:
    """Count up to `limit` holds' starts and expiries into the outbox; how many holds."""
    n: int = await conn.fetchval(queries.count_hold_moves, limit)
    return n
