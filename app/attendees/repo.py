"""asyncpg calls of attendee settings, names and answers (named SQL blocks)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from app.core.db import Conn
from app.core.sql import queries


async def settings_of(conn: Conn, event_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.attendee_settings, uuid.UUID(event_id))
    return row


async def put_settings(
    conn: Conn, event_id: str, names: str, cutoff_hours: int, questions: list[dict[str, Any]]
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        queries.put_attendee_settings, uuid.UUID(event_id), names, cutoff_hours, questions
    )
    return row


async def order(conn: Conn, order_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.attendee_order, uuid.UUID(order_id))
    return row


async def tickets(conn: Conn, order_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.attendee_tickets, uuid.UUID(order_id))
    return rows


async def put_ticket(
    conn: Conn, ticket_id: str, order_id: str, name: str, answers: dict[str, Any]
) -> None:
    await conn.execute(
        queries.put_ticket_attendee, uuid.UUID(ticket_id), uuid.UUID(order_id), name, answers
    )


async def put_order_answers(conn: Conn, order_id: str, answers: dict[str, Any]) -> None:
    await conn.execute(queries.put_order_answers, uuid.UUID(order_id), answers)


async def export(conn: asyncpg.Connection, event_id: str) -> AsyncIterator[asyncpg.Record]:
    async for row in conn.cursor(queries.export_attendees, uuid.UUID(event_id), prefetch=500):
        yield row


async def names_of_tickets(conn: Conn, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await conn.fetch(queries.names_of_tickets, ticket_ids)
    return {row["ticket_id"]: row["name"] for row in rows}
