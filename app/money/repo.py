"""asyncpg calls of the money rules, the orders' charges and the receipts (named SQL)."""

from __future__ import annotations

import uuid

import asyncpg

from app.core.db import Conn
from app.core.sql import queries
from app.money.pricing import MoneyRules, Price


def rules_of(row: asyncpg.Record | None) -> MoneyRules:
    if row is None:
        return MoneyRules()
    return MoneyRules(
        fee_per_ticket_cents=row["fee_per_ticket_cents"],
        fee_per_order_cents=row["fee_per_order_cents"],
        tax_rate_bp=row["tax_rate_bp"],
        tax_inclusive=row["tax_inclusive"],
        tax_label=row["tax_label"],
        refund_fees=row["refund_fees"],
    )


async def money_rules(conn: Conn, event_id: str) -> MoneyRules:
    return rules_of(await conn.fetchrow(queries.money_rules, uuid.UUID(event_id)))


async def put_money_rules(conn: Conn, event_id: str, rules: MoneyRules) -> MoneyRules:
    row = await conn.fetchrow(
        queries.put_money_rules,
        uuid.UUID(event_id),
        rules.fee_per_ticket_cents,
        rules.fee_per_order_cents,
        rules.tax_rate_bp,
        rules.tax_inclusive,
        rules.tax_label,
        rules.refund_fees,
    )
    return rules_of(row)


async def put_order_charges(conn: Conn, order_id: str, price: Price, rules: MoneyRules) -> None:
    """What checkout charged the order; unchanged once the order is no longer pending."""
    lines = [
        {
            "label": line.label,
            "quantity": line.quantity,
            "tickets_cents": line.tickets.gross_cents,
            "tickets_tax_cents": line.tickets.tax_cents,
            "fees_cents": line.fees.gross_cents,
            "fees_tax_cents": line.fees.tax_cents,
        }
        for line in price.lines
    ]
    await conn.execute(
        queries.put_order_charges,
        uuid.UUID(order_id),
        price.tickets.gross_cents,
        price.tickets.tax_cents,
        price.fees.gross_cents,
        price.fees.tax_cents,
        price.total_cents,
        price.tax_rate_bp,
        price.tax_inclusive,
        rules.tax_label,
        rules.refund_fees,
        lines,
    )


async def order_charges(conn: Conn, order_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.order_charges, uuid.UUID(order_id))
    return row


async def receipt_order(conn: Conn, order_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.receipt_order, uuid.UUID(order_id))
    return row


async def revenue_by_section(conn: Conn, event_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.revenue_by_section, uuid.UUID(event_id))
    return rows
