"""Order reads for fans and organizers, the streamed export, refund requests and stats."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from app.core.csvsafe import safe_cell
from app.core.errors import AppError, not_found
from app.core.ids import is_uuid, new_id
from app.core.resources import Resources
from app.core.security import Principal
from app.core.settings import Settings
from app.events import access
from app.events import service as events
from app.money.service import refund_due
from app.orders import confirmation, repo
from app.orders.schemas import Order, RefundIn, TicketOut, TicketSeat
from app.payments.jobs import enqueue_refund
from app.tickets import service as ticket_service
from app.tickets.schemas import Rotation


def present(
    row: asyncpg.Record,
    tickets: list[asyncpg.Record],
    rotations: dict[uuid.UUID, Rotation | None] | None = None,
    *,
    buyer_view: bool = True,
) -> Order:
    """The order; `buyer_view`: without the tickets it handed on (their codes are their
    receivers'); the organizer sees every ticket the order ever issued."""
    return Order(
        order_id=str(row["order_id"]),
        event_id=str(row["event_id"]),
        status=row["status"],
        amount_cents=row["amount_cents"],
        currency=row["currency"],
        created_at=row["created_at"],
        tickets=[
            TicketOut(
                ticket_id=str(t["ticket_id"]),
                section=t["section_code"],
                code=t["code"],
                voided=t["voided_at"] is not None,
                seq=t["seq"],
                status="transferred"
                if t["void_reason"] == "transferred"
                else "void"
                if t["voided_at"] is not None
                else "valid",
                rotation=(rotations or {}).get(t["ticket_id"]),
                seat=TicketSeat(t["seat_id"], t["seat_row"] or "", t["seat_number"] or "")
                if t.get("seat_id")
                else None,
                attendee_name=t.get("attendee_name") or "",
                type=t.get("ticket_type"),
                type_name=(t.get("ticket_type_name") or t.get("ticket_type"))
                if t.get("ticket_type")
                else None,
            )
            for t in tickets
            # A ticket transferred on is its receiver's (their code, their view).
            if not buyer_view or t["holder_id"] is None or t["holder_id"] == row["user_id"]
        ],
        section=row["section_code"],
        quantity=row["quantity"],
        hold_id=row["hold_id"],
        payment_intent_id=row["payment_intent_id"],
        confirmed_at=row["confirmed_at"],
        cancel_reason=row["cancel_reason"],
    )


async def _with_tickets(
    pool: asyncpg.Pool,
    rows: list[asyncpg.Record],
    *,
    holder: Principal | None = None,
    settings: Settings | None = None,
    buyer_view: bool = True,
) -> list[Order]:
    """Orders with their tickets; the rotation secrets of valid tickets only for their
    holder (an organizer reading an order never sees them)."""
    by_order: dict[uuid.UUID, list[asyncpg.Record]] = {}
    rotations: dict[uuid.UUID, Rotation | None] = {}
    if rows:
        for t in await repo.tickets_of_orders(pool, [r["order_id"] for r in rows]):
            by_order.setdefault(t["order_id"], []).append(t)
    if holder is not None and settings is not None:
        for r in rows:
            for t in by_order.get(r["order_id"], []):
                held_by = str(t["holder_id"] or r["user_id"])
                if t["voided_at"] is None and held_by == holder.user_id:
                    rotations[t["ticket_id"]] = await ticket_service.rotation_for(
                        pool, settings, str(t["event_id"]), t["kid"], t["code"]
                    )
    return [
        present(r, by_order.get(r["order_id"], []), rotations, buyer_view=buyer_view) for r in rows
    ]


async def list_mine(pool: asyncpg.Pool, settings: Settings, principal: Principal) -> list[Order]:
    return await _with_tickets(
        pool,
        await repo.orders_of_user(pool, principal.user_id),
        holder=principal,
        settings=settings,
    )


async def _load(pool: asyncpg.Pool, order_id: str) -> asyncpg.Record:
    row = await repo.order_by_id(pool, order_id) if is_uuid(order_id) else None
    if row is None:
        raise not_found("Order")
    return row


async def get_order(
    res: Resources, principal: Principal, order_id: str, *, reported: bool = False
) -> Order:
    """The caller's own order, or any order of an event the caller manages. A pending one
    asks Stripe first and is finalized when paid (webhooks may be late or lost);
    `reported`: the fan's client says it just confirmed the payment."""
    row = await _load(res.pool, order_id)
    if str(row["user_id"]) != principal.user_id:
        if reported:
            raise not_found("Order")
        event = await events.load_event(res.pool, str(row["event_id"]))
        await access.authorize(res.pool, principal, event, "read", what="Order")
    if await confirmation.settle_if_paid(res, row, reported=reported):
        row = await _load(res.pool, order_id)
    buyer_view = str(row["user_id"]) == principal.user_id
    orders = await _with_tickets(
        res.pool, [row], holder=principal, settings=res.settings, buyer_view=buyer_view
    )
    return orders[0]


async def request_refund(
    resources: Resources, principal: Principal, order_id: str, data: RefundIn
) -> Order:
    """Record the refund request and hand it to a worker (202: the order is refunded there)."""
    pool = resources.pool
    row = await _load(pool, order_id)
    await events.get_managed_event(pool, principal, str(row["event_id"]), need="refund")
    existing = await repo.refund_of_order(pool, order_id)
    if existing is None:
        if row["status"] != "confirmed" or not row["payment_intent_id"]:
            raise AppError(
                "order_not_refundable",
                409,
                "Order not refundable",
                f"Only confirmed orders can be refunded; this one is {row['status']}",
            )
        await repo.insert_refund(
            pool,
            refund_id=new_id(),
            order_id=order_id,
            payment_intent_id=row["payment_intent_id"],
            amount_cents=await refund_due(pool, order_id, row["amount_cents"]),
            reason=data.reason,
            return_seats=data.return_seats,
        )
    await enqueue_refund(resources.arq, order_id)
    return (await _with_tickets(pool, [row], buyer_view=False))[0]


EXPORT_COLUMNS = (
    "order_id",
    "status",
    "user_id",
    "email",
    "section_code",
    "quantity",
    "amount_cents",
    "currency",
    "payment_intent_id",
    "hold_id",
    "cancel_reason",
    "created_at",
    "confirmed_at",
    "ticket_codes",
    "attendee_names",
)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


async def export_rows(pool: asyncpg.Pool, event_id: str) -> AsyncIterator[dict[str, Any]]:
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        async for row in repo.export_orders(conn, event_id):
            yield {c: _cell(row[c]) for c in EXPORT_COLUMNS}


async def export_json(pool: asyncpg.Pool, event_id: str) -> AsyncIterator[bytes]:
    """`{"items": [...]}` streamed row by row: memory stays flat for any event size."""
    yield b'{"items":['
    first = True
    async for item in export_rows(pool, event_id):
        yield (b"" if first else b",") + msgspec.json.encode(item)
        first = False
    yield b"]}"


async def export_csv(pool: asyncpg.Pool, event_id: str) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    async for item in export_rows(pool, event_id):
        # Names and reasons come from fans and organizers: escaped against formulas.
        writer.writerow(["" if item[c] is None else safe_cell(item[c]) for c in EXPORT_COLUMNS])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
