"""asyncpg calls of orders, tickets, refunds and the order ledger entries (named SQL blocks)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg

from app.core.db import Conn
from app.core.sql import queries
from app.orders.purchase import Purchase


def _order_params(purchase: Purchase, payment_intent_id: str | None) -> tuple[Any, ...]:
    """$1..$9 of insert_order and upsert_pending_order (the same columns, in order)."""
    return (
        uuid.UUID(purchase.order_id),
        uuid.UUID(purchase.event_id),
        uuid.UUID(purchase.user_id),
        purchase.hold_id,
        purchase.section,
        purchase.quantity,
        purchase.amount_cents,
        purchase.currency,
        payment_intent_id,
    )


async def insert_order(conn: Conn, purchase: Purchase, payment_intent_id: str | None) -> None:
    """The purchase's pending order (a no-op when it exists: unique on hold id)."""
    await conn.execute(queries.insert_order, *_order_params(purchase, payment_intent_id))


async def upsert_pending_order(conn: Conn, purchase: Purchase, payment_intent_id: str) -> None:
    """Checkout's pending order, pointing at this PaymentIntent (the hold's current one)."""
    await conn.execute(queries.upsert_pending_order, *_order_params(purchase, payment_intent_id))


async def order_for_update(conn: asyncpg.Connection, order_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.order_for_update, uuid.UUID(order_id))
    return row


async def order_by_id(conn: Conn, order_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.order_by_id, uuid.UUID(order_id))
    return row


async def confirm_order(conn: asyncpg.Connection, order_id: str, payment_intent_id: str) -> bool:
    status: str = await conn.execute(queries.confirm_order, uuid.UUID(order_id), payment_intent_id)
    return status.endswith(" 1")


async def cancel_order(
    conn: Conn, order_id: str, reason: str, payment_intent_id: str | None
) -> bool:
    """Cancel a pending order, only while it belongs to this PaymentIntent."""
    status: str = await conn.execute(
        queries.cancel_order, uuid.UUID(order_id), reason, payment_intent_id
    )
    return status.endswith(" 1")


async def mark_order_refunded(conn: asyncpg.Connection, order_id: str) -> bool:
    status: str = await conn.execute(queries.mark_order_refunded, uuid.UUID(order_id))
    return status.endswith(" 1")


async def insert_tickets(
    conn: asyncpg.Connection,
    *,
    order_id: str,
    event_id: str,
    section: str,
    ticket_ids: Sequence[str],
    codes: Sequence[str],
) -> None:
    await conn.execute(
        queries.insert_tickets,
        [uuid.UUID(t) for t in ticket_ids],
        uuid.UUID(order_id),
        uuid.UUID(event_id),
        section,
        list(range(1, len(ticket_ids) + 1)),
        list(codes),
    )


async def void_tickets(conn: asyncpg.Connection, order_id: str) -> None:
    await conn.execute(queries.void_tickets, uuid.UUID(order_id))


async def tickets_of_orders(conn: Conn, order_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.tickets_of_orders, list(order_ids))
    return rows


async def add_section_sold(
    conn: asyncpg.Connection, event_id: str, section: str, delta: int
) -> None:
    query = queries.add_section_sold if delta >= 0 else queries.subtract_section_sold
    await conn.execute(query, uuid.UUID(event_id), section, abs(delta))


async def insert_ledger_entry(
    conn: asyncpg.Connection,
    *,
    event_id: str,
    section: str,
    reason: str,
    ref: str,
    delta_sold: int,
    delta_held: int,
) -> None:
    await conn.execute(
        queries.insert_ledger_entry,
        uuid.UUID(event_id),
        section,
        reason,
        ref,
        delta_sold,
        delta_held,
    )


async def insert_outbox(conn: asyncpg.Connection, kind: str, dedup_key: str, payload: Any) -> None:
    await conn.execute(queries.insert_outbox, kind, dedup_key, payload)


async def orders_of_user(conn: Conn, user_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.orders_of_user, uuid.UUID(user_id))
    return rows


async def export_orders(conn: asyncpg.Connection, event_id: str) -> AsyncIterator[asyncpg.Record]:
    """Every order of an event through a server-side cursor (call inside a transaction)."""
    async for row in conn.cursor(queries.export_orders, uuid.UUID(event_id), prefetch=500):
        yield row


async def insert_refund(
    conn: Conn,
    *,
    refund_id: str,
    order_id: str,
    payment_intent_id: str,
    amount_cents: int,
    reason: str | None,
    return_seats: bool,
) -> None:
    await conn.execute(
        queries.insert_refund,
        uuid.UUID(refund_id),
        uuid.UUID(order_id),
        payment_intent_id,
        amount_cents,
        reason,
        return_seats,
    )


async def refund_of_order(conn: Conn, order_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.refund_of_order, uuid.UUID(order_id))
    return row


async def complete_refund(conn: asyncpg.Connection, order_id: str, stripe_refund_id: str) -> None:
    await conn.execute(queries.complete_refund, uuid.UUID(order_id), stripe_refund_id)


async def tally_seed(conn: Conn, event_id: str) -> list[asyncpg.Record]:
    """Confirmed and refunded orders with amount and confirmation time (the tally's seed)."""
    return list(await conn.fetch(queries.tally_seed, uuid.UUID(event_id)))
