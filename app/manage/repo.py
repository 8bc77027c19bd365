"""Console read queries in Postgres, through named SQL blocks."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from app.core.sql import queries


async def live_sale_counts(pool: asyncpg.Pool, event_id: str) -> asyncpg.Record:
    row: asyncpg.Record = await pool.fetchrow(queries.live_sale_counts, uuid.UUID(event_id))
    return row


async def search_orders(
    pool: asyncpg.Pool,
    *,
    viewer_id: str,
    see_all: bool,
    event_id: str | None,
    order_id: str | None,
    email_like: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    reader_roles: list[str],
) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            queries.search_orders,
            uuid.UUID(viewer_id),
            see_all,
            uuid.UUID(event_id) if event_id else None,
            uuid.UUID(order_id) if order_id else None,
            email_like,
            after[0] if after else None,
            after[1] if after else None,
            limit,
            reader_roles,
        )
    )


async def list_users(
    pool: asyncpg.Pool,
    email_like: str | None,
    role: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            queries.list_users,
            email_like,
            role,
            after[0] if after else None,
            after[1] if after else None,
            limit,
        )
    )


async def revoke_role(pool: asyncpg.Pool, user_id: str, role: str) -> None:
    await pool.execute(queries.revoke_role, uuid.UUID(user_id), role)
