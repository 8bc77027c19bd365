"""asyncpg calls of orders, tickets, refunds and the order ledger entries (named SQL blocks)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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


@dataclass
class Confirmation:
    """One order to confirm, with everything computed before the transaction."""

    purchase: Purchase
    payment_intent_id: str
    late: bool
    # The finalize job read the order's row: no insert needed (orders are never deleted).
    order_seen: bool
    created_at: datetime
    expires_at: datetime
    payment_id: str
    ticket_ids: list[str]
    codes: list[str]
    kid: str  # the event key that signed the codes
    seats: list[str] = field(default_factory=list)  # a seated order's seat per ticket

    def message(self) -> dict[str, Any]:
        """The order_confirmed outbox payload."""
        p = self.purchase
        return {
            "order_id": p.order_id,
            "event_id": p.event_id,
            "user_id": p.user_id,
            "section": p.section,
            "quantity": p.quantity,
            "amount_cents": p.amount_cents,
            "currency": p.currency,
            "ticket_codes": self.codes,
        }


async def insert_orders(conn: asyncpg.Connection, items: Sequence[Confirmation]) -> None:
    """The pending orders of `items` that do not exist yet, in one statement."""
    rows = [_order_params(c.purchase, c.payment_intent_id) for c in items]
    if rows:
        columns = [list(column) for column in zip(*rows, strict=True)]
        await conn.execute(queries.insert_orders, *columns)


async def confirm_orders(
    conn: asyncpg.Connection, items: Sequence[Confirmation]
) -> list[asyncpg.Record]:
    """Every pending order of `items` confirmed with its tickets, payment, ledger entry, outbox
    message and holds-ledger row, in one statement (one order each: callers dedupe); the
    confirmed ones (order_id, event_id, section_code, quantity)."""
    ticket_orders: list[uuid.UUID] = []
    ticket_ids: list[uuid.UUID] = []
    seqs: list[int] = []
    codes: list[str] = []
    kids: list[str] = []
    seat_ids: list[str] = []
    ticket_types: list[str] = []
    for c in items:
        order_id = uuid.UUID(c.purchase.order_id)
        types = c.purchase.ticket_types()
        for seq, (ticket_id, code) in enumerate(zip(c.ticket_ids, c.codes, strict=True), 1):
            seat_ids.append(c.seats[seq - 1] if len(c.seats) >= seq else "")
            ticket_types.append(types[seq - 1] if len(types) >= seq else "")
            ticket_orders.append(order_id)
            ticket_ids.append(uuid.UUID(ticket_id))
            seqs.append(seq)
            codes.append(code)
            kids.append(c.kid)
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.confirm_orders,
        [uuid.UUID(c.purchase.order_id) for c in items],
        [c.payment_intent_id for c in items],
        [uuid.UUID(c.purchase.event_id) for c in items],
        [uuid.UUID(c.purchase.user_id) for c in items],
        [c.purchase.hold_id for c in items],
        [c.purchase.section for c in items],
        [c.purchase.quantity for c in items],
        [c.purchase.amount_cents for c in items],
        [c.purchase.currency for c in items],
        [c.late for c in items],
        [c.created_at for c in items],
        [c.expires_at for c in items],
        [uuid.UUID(c.payment_id) for c in items],
        [c.purchase.order_id for c in items],
        [json.dumps(c.message()) for c in items],
        ticket_orders,
        ticket_ids,
        seqs,
        codes,
        kids,
        seat_ids,
        ticket_types,
        [c.purchase.lines for c in items],
    )
    return rows


async def order_for_update(conn: asyncpg.Connection, order_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.order_for_update, uuid.UUID(order_id))
    return row


async def order_by_id(conn: Conn, order_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.order_by_id, uuid.UUID(order_id))
    return row


async def order_states(conn: Conn, order_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.order_states, list(order_ids))
    return rows


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


async def void_tickets(conn: asyncpg.Connection, order_id: str) -> None:
    await conn.execute(queries.void_tickets, uuid.UUID(order_id))


async def close_moves_of_order(conn: asyncpg.Connection, order_id: str) -> None:
    await conn.execute(queries.close_moves_of_order, uuid.UUID(order_id))


async def seats_to_return(conn: Conn, order_id: str) -> int:
    seats: int = await conn.fetchval(queries.seats_to_return, uuid.UUID(order_id))
    return seats


async def refunded_seat_ids(conn: Conn, order_id: str) -> list[str]:
    rows = await conn.fetch(queries.refunded_seat_ids, uuid.UUID(order_id))
    return [r["seat_id"] for r in rows]


async def refunded_type_lines(conn: Conn, order_id: str) -> str:
    """A refunded order's voided tickets by ticket type, 'TYPE:q,...' ('' without types)."""
    lines: str = await conn.fetchval(queries.refunded_type_lines, uuid.UUID(order_id))
    return lines


async def refunded_holders(conn: Conn, order_id: str) -> list[tuple[str, int]]:
    """(account, seats) of whoever held a refunded order's tickets when they were voided."""
    rows = await conn.fetch(queries.refunded_holders, uuid.UUID(order_id))
    return [(str(r["holder_id"]), int(r["seats"])) for r in rows]


async def match_resale(
    conn: asyncpg.Connection,
    event_id: str,
    section: str,
    order_id: str,
    quantity: int,
    seat_ids: Sequence[str] = (),
) -> list[asyncpg.Record]:
    """The open resale listings this sale takes (see the SQL): the oldest `quantity` ones, or
    those of its reserved `seat_ids`; the section row is locked."""
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.match_resale,
        uuid.UUID(event_id),
        section,
        uuid.UUID(order_id),
        quantity,
        list(seat_ids),
    )
    return rows


async def tickets_of_orders(conn: Conn, order_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.tickets_of_orders, list(order_ids))
    return rows


async def add_section_sold_seeing_listings(
    conn: asyncpg.Connection, event_id: str, section: str, delta: int
) -> bool:
    """add_section_sold (delta >= 0), and whether the section has open resale listings."""
    listed: bool = await conn.fetchval(
        queries.add_section_sold_seeing_listings, uuid.UUID(event_id), section, delta
    )
    return listed


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
