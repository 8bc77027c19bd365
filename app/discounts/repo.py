"""Discount codes in Postgres (named SQL blocks of app/sql/queries/discounts.sql)."""

from __future__ import annotations

import uuid

from app.core.db import Conn
from app.core.sql import queries
from app.discounts.model import DiscountRecord, discount_from_row


def _u(value: str) -> uuid.UUID:
    return uuid.UUID(value)


async def insert(conn: Conn, d: DiscountRecord) -> DiscountRecord | None:
    """The new code; None when the event has this code already."""
    row = await conn.fetchrow(
        queries.insert_discount,
        _u(d.discount_id),
        _u(d.event_id),
        d.code,
        d.percent_off,
        d.amount_off_cents,
        d.max_uses,
        d.section,
        _u(d.phase_id) if d.phase_id else None,
    )
    return discount_from_row(row) if row is not None else None


async def of_event(conn: Conn, event_id: str) -> list[DiscountRecord]:
    return [discount_from_row(r) for r in await conn.fetch(queries.event_discounts, _u(event_id))]


async def disable(conn: Conn, event_id: str, discount_id: str) -> DiscountRecord | None:
    row = await conn.fetchrow(queries.disable_discount, _u(event_id), _u(discount_id))
    return discount_from_row(row) if row is not None else None


async def phase_of_event(conn: Conn, event_id: str, phase_id: str) -> bool:
    return bool(await conn.fetchval(queries.event_phase_exists, _u(event_id), _u(phase_id)))
