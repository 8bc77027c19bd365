"""The holds ledger and section capacity in Postgres (named SQL blocks)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from app.core.db import Conn
from app.core.sql import queries


class LedgerHold(msgspec.Struct, frozen=True):
    """A row of the holds ledger."""

    hold_id: str
    event_id: str
    section: str
    user_id: str
    quantity: int
    amount_cents: int
    currency: str
    status: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    # Of a hold in checkout (live_holds only): its PaymentIntent and order.
    payment_intent_id: str = ""
    order_id: str = ""
    seats: tuple[str, ...] = ()  # a seated hold's seat ids
    lines: str = ""  # its lines by ticket type, 'TYPE:q:amount,...' ('' = none)

    def params(self) -> tuple[Any, ...]:
        """Arguments of upsert_hold_ledger."""
        return (
            self.hold_id,
            uuid.UUID(self.event_id),
            self.section,
            uuid.UUID(self.user_id),
            self.quantity,
            self.amount_cents,
            self.currency,
            self.status,
            self.created_at,
            self.expires_at,
            self.ended_at,
            list(self.seats) or None,
            self.lines or None,
        )


class SectionRow(msgspec.Struct, frozen=True):
    code: str
    name: str
    price_cents: int
    capacity: int
    sold: int


def _ledger_hold(r: asyncpg.Record) -> LedgerHold:
    return LedgerHold(
        hold_id=r["hold_id"],
        event_id=str(r["event_id"]),
        section=r["section_code"],
        user_id=str(r["user_id"]),
        quantity=r["quantity"],
        amount_cents=r["amount_cents"],
        currency=r["currency"],
        status=r["status"],
        created_at=r["created_at"],
        expires_at=r["expires_at"],
        ended_at=r["ended_at"],
        payment_intent_id=r.get("payment_intent_id") or "",
        order_id=str(r.get("order_id") or ""),
        seats=tuple(r.get("seats") or ()),
        lines=r.get("lines") or "",
    )


def _section(r: asyncpg.Record) -> SectionRow:
    return SectionRow(
        code=r["code"],
        name=r["name"],
        price_cents=r["price_cents"],
        capacity=r["capacity"],
        sold=r["sold"],
    )


async def upsert_ledger(conn: Conn, rows: Sequence[LedgerHold]) -> None:
    if rows:
        await conn.executemany(queries.upsert_hold_ledger, [r.params() for r in rows])


async def set_ledger_status(
    conn: Conn, updates: Sequence[tuple[str, str, datetime | None]]
) -> None:
    """(hold_id, status, ended_at) for holds whose full record is no longer known."""
    if updates:
        await conn.executemany(queries.set_hold_ledger_status, updates)


async def ledger_hold(conn: Conn, hold_id: str) -> LedgerHold | None:
    row = await conn.fetchrow(queries.ledger_hold, hold_id)
    return _ledger_hold(row) if row else None


async def live_holds(
    conn: Conn, event_id: str, now: datetime, checkout_grace_s: int
) -> list[LedgerHold]:
    rows = await conn.fetch(queries.live_holds, uuid.UUID(event_id), now, float(checkout_grace_s))
    return [_ledger_hold(r) for r in rows]


async def open_listings(conn: Conn, event_id: str) -> list[str]:
    rows = await conn.fetch(queries.open_listings, uuid.UUID(event_id))
    return [str(r["listing_id"]) for r in rows]


async def returned_orders(conn: Conn, event_id: str) -> list[str]:
    rows = await conn.fetch(queries.returned_orders, uuid.UUID(event_id))
    return [str(r["order_id"]) for r in rows]


async def applied_moves(conn: Conn, event_id: str) -> list[str]:
    rows = await conn.fetch(queries.applied_moves, uuid.UUID(event_id))
    return [str(r["move_id"]) for r in rows]


async def sold_seats_by_user(conn: Conn, event_id: str) -> dict[str, int]:
    rows = await conn.fetch(queries.sold_seats_by_user, uuid.UUID(event_id))
    return {str(r["user_id"]): r["seats"] for r in rows}


async def section_for_update(
    conn: asyncpg.Connection, event_id: str, code: str
) -> SectionRow | None:
    row = await conn.fetchrow(queries.section_for_update, uuid.UUID(event_id), code)
    return _section(row) if row else None


async def section_for_share(
    conn: asyncpg.Connection, event_id: str, code: str
) -> SectionRow | None:
    row = await conn.fetchrow(queries.section_for_share, uuid.UUID(event_id), code)
    return _section(row) if row else None


async def add_capacity(
    conn: asyncpg.Connection, event_id: str, code: str, delta: int, ref: str
) -> SectionRow:
    row = await conn.fetchrow(queries.add_section_capacity, uuid.UUID(event_id), code, delta)
    await conn.execute(queries.insert_capacity_ledger, uuid.UUID(event_id), code, ref, delta)
    return _section(row)


async def payments_in_flight(conn: Conn, event_id: str) -> int:
    return int(await conn.fetchval(queries.payments_in_flight, uuid.UUID(event_id)))
