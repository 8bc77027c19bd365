"""asyncpg calls of the reports (named SQL)."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg

from app.core.db import Conn
from app.core.sql import queries


async def funnel_counts(conn: Conn, event_id: str) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(queries.funnel_counts, uuid.UUID(event_id))
    return row


async def sales_buckets(
    conn: Conn, event_id: str, minutes_until: dt.datetime
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.sales_buckets, uuid.UUID(event_id), minutes_until
    )
    return rows


async def captured_totals(conn: Conn, event_id: str) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(queries.captured_totals, uuid.UUID(event_id))
    return row


async def occupancy(conn: Conn, event_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.occupancy, uuid.UUID(event_id))
    return rows


async def checkin_curve(conn: Conn, event_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.checkin_curve, uuid.UUID(event_id))
    return rows
