"""asyncpg calls of the ticket moves: rules, transfers, listings, payouts (named SQL blocks)."""

from __future__ import annotations

import uuid

import asyncpg

from app.core.db import Conn
from app.core.sql import queries
from app.moves.schemas import MoveRules


async def move_rules(conn: Conn, event_id: str) -> MoveRules:
    row = await conn.fetchrow(queries.move_rules, uuid.UUID(event_id))
    if row is None:
        return MoveRules()
    return _rules(row)


def _rules(row: asyncpg.Record) -> MoveRules:
    return MoveRules(
        cancel_enabled=row["cancel_enabled"],
        cancel_until_s=row["cancel_until_s"],
        transfer_enabled=row["transfer_enabled"],
        transfer_max_per_ticket=row["transfer_max_per_ticket"],
        transfer_cutoff_s=row["transfer_cutoff_s"],
        resale_enabled=row["resale_enabled"],
        resale_fee_cents=row["resale_fee_cents"],
    )


async def set_move_rules(conn: Conn, event_id: str, rules: MoveRules) -> MoveRules:
    row = await conn.fetchrow(
        queries.upsert_move_rules,
        uuid.UUID(event_id),
        rules.cancel_enabled,
        rules.cancel_until_s,
        rules.transfer_enabled,
        rules.transfer_max_per_ticket,
        rules.transfer_cutoff_s,
        rules.resale_enabled,
        rules.resale_fee_cents,
    )
    return _rules(row)


async def ticket_for_move(conn: Conn, ticket_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.ticket_for_move, uuid.UUID(ticket_id))
    return row


async def tickets_of_order(conn: Conn, order_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.tickets_of_order_for_move, uuid.UUID(order_id)
    )
    return rows


async def receiver_by_email(conn: Conn, email: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.receiver_by_email, email)
    return row


async def insert_transfer(
    conn: Conn,
    *,
    transfer_id: str,
    ticket_id: str,
    event_id: str,
    from_user_id: str,
    to_email: str,
    to_user_id: str | None,
) -> None:
    await conn.execute(
        queries.insert_transfer,
        uuid.UUID(transfer_id),
        uuid.UUID(ticket_id),
        uuid.UUID(event_id),
        uuid.UUID(from_user_id),
        to_email,
        uuid.UUID(to_user_id) if to_user_id else None,
    )


async def transfer_by_id(
    conn: Conn, transfer_id: str, *, lock: bool = False
) -> asyncpg.Record | None:
    query = queries.transfer_for_update if lock else queries.transfer_by_id
    row: asyncpg.Record | None = await conn.fetchrow(query, uuid.UUID(transfer_id))
    return row


async def accept_transfer(
    conn: Conn, transfer_id: str, to_user_id: str, new_ticket_id: str
) -> bool:
    status: str = await conn.execute(
        queries.accept_transfer,
        uuid.UUID(transfer_id),
        uuid.UUID(to_user_id),
        uuid.UUID(new_ticket_id),
    )
    return status.endswith(" 1")


async def cancel_transfer(conn: Conn, transfer_id: str) -> bool:
    status: str = await conn.execute(queries.cancel_transfer, uuid.UUID(transfer_id))
    return status.endswith(" 1")


async def insert_successor(
    conn: Conn, *, new_ticket_id: str, code: str, kid: str, holder_id: str, old_ticket_id: str
) -> None:
    await conn.execute(
        queries.insert_successor_ticket,
        uuid.UUID(new_ticket_id),
        code,
        uuid.UUID(holder_id),
        uuid.UUID(old_ticket_id),
        kid,
    )


async def void_ticket(conn: Conn, ticket_id: str, reason: str) -> bool:
    status: str = await conn.execute(queries.void_ticket, uuid.UUID(ticket_id), reason)
    return status.endswith(" 1")


async def lock_section(conn: Conn, event_id: str, section: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        queries.section_for_resale, uuid.UUID(event_id), section
    )
    return row


async def insert_listing(
    conn: Conn,
    *,
    listing_id: str,
    ticket: asyncpg.Record,
    seller_id: str,
    price_cents: int,
    fee_cents: int,
) -> None:
    await conn.execute(
        queries.insert_listing,
        uuid.UUID(listing_id),
        ticket["ticket_id"],
        ticket["event_id"],
        ticket["section_code"],
        uuid.UUID(seller_id),
        ticket["order_id"],
        ticket["payment_intent_id"],
        price_cents,
        fee_cents,
        ticket["currency"],
    )


async def listing_by_id(
    conn: Conn, listing_id: str, *, lock: bool = False
) -> asyncpg.Record | None:
    """One listing with its ticket's reserved seat; `lock`: its row locked first (inside the
    caller's transaction)."""
    if lock:
        await conn.execute(queries.lock_listing, uuid.UUID(listing_id))
    row: asyncpg.Record | None = await conn.fetchrow(queries.listing_by_id, uuid.UUID(listing_id))
    return row


async def withdraw_listing(conn: Conn, listing_id: str) -> bool:
    status: str = await conn.execute(queries.withdraw_listing, uuid.UUID(listing_id))
    return status.endswith(" 1")


async def payouts_due(conn: Conn, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.payouts_due, limit)
    return rows


async def payout_failed(conn: Conn, listing_id: str, error: str, retry_in_s: float) -> None:
    await conn.execute(queries.payout_failed, uuid.UUID(listing_id), error[:500], retry_in_s)


async def payout_paid(conn: Conn, listing_id: str, stripe_refund_id: str) -> bool:
    status: str = await conn.execute(queries.payout_paid, uuid.UUID(listing_id), stripe_refund_id)
    return status.endswith(" 1")


async def tickets_of_holder(conn: Conn, user_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.tickets_of_holder, uuid.UUID(user_id))
    return rows


async def transfers_to_email(conn: Conn, email: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.transfers_to_email, email)
    return rows


async def moves_of_event(conn: Conn, event_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.moves_of_event, uuid.UUID(event_id))
    return rows


async def email_of(conn: Conn, user_id: str) -> str:
    email: str = await conn.fetchval(queries.email_of_user, uuid.UUID(user_id))
    return email
