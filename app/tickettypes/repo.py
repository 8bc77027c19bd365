"""Ticket types in Postgres (named SQL blocks of app/sql/queries/tickettypes.sql)."""

from __future__ import annotations

import uuid

from app.core.db import Conn
from app.core.sql import queries
from app.tickettypes.model import TicketTypeRecord, type_from_row


def _params(t: TicketTypeRecord) -> tuple[object, ...]:
    return (
        uuid.UUID(t.event_id),
        t.section,
        t.code,
        t.name,
        t.price_cents,
        t.quota,
        t.max_per_order,
        t.opens_at,
        t.closes_at,
        t.companion,
    )


async def insert(conn: Conn, t: TicketTypeRecord) -> TicketTypeRecord | None:
    """The new type; None when the section has this code already."""
    row = await conn.fetchrow(queries.insert_ticket_type, *_params(t))
    return type_from_row(row) if row is not None else None


async def update(conn: Conn, t: TicketTypeRecord) -> TicketTypeRecord | None:
    row = await conn.fetchrow(queries.update_ticket_type, *_params(t))
    return type_from_row(row) if row is not None else None


async def delete(conn: Conn, event_id: str, section: str, code: str) -> bool:
    row = await conn.fetchrow(queries.delete_ticket_type, uuid.UUID(event_id), section, code)
    return row is not None


async def for_update(conn: Conn, event_id: str, section: str, code: str) -> TicketTypeRecord | None:
    row = await conn.fetchrow(queries.ticket_type_for_update, uuid.UUID(event_id), section, code)
    return type_from_row(row) if row is not None else None


async def of_event(conn: Conn, event_id: str) -> list[TicketTypeRecord]:
    rows = await conn.fetch(queries.event_ticket_types, uuid.UUID(event_id))
    return [type_from_row(r) for r in rows]


async def sold_by_type(conn: Conn, event_id: str) -> dict[tuple[str, str], int]:
    """Live tickets per (section, type) in the record."""
    rows = await conn.fetch(queries.sold_by_type, uuid.UUID(event_id))
    return {(r["section_code"], r["ticket_type"]): int(r["sold"]) for r in rows}


async def companions_of(conn: Conn, event_id: str, section: str, code: str) -> list[str]:
    rows = await conn.fetch(queries.companions_of, uuid.UUID(event_id), section, code)
    return [r["code"] for r in rows]


async def lock_section(conn: Conn, event_id: str, section: str) -> bool:
    """The section's row locked for the transaction; False when there is no such section."""
    row = await conn.fetchrow(queries.lock_section, uuid.UUID(event_id), section)
    return row is not None
