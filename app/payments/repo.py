"""asyncpg calls of payments and Stripe webhook events (named SQL blocks of payments.sql)."""

from __future__ import annotations

from typing import Any

from app.core.db import Conn
from app.core.sql import queries


async def mark_payment_refunded(conn: Conn, payment_intent_id: str) -> None:
    await conn.execute(queries.mark_payment_refunded, payment_intent_id)


async def insert_webhook_event(
    conn: Conn, event_id: str, event_type: str, payment_intent_id: str | None, payload: Any
) -> bool:
    inserted = await conn.fetchval(
        queries.insert_webhook_event, event_id, event_type, payment_intent_id, payload
    )
    return inserted is not None


async def delete_webhook_event(conn: Conn, event_id: str) -> None:
    await conn.execute(queries.delete_webhook_event, event_id)


async def mark_webhook_events_processed(conn: Conn, payment_intent_id: str) -> None:
    await conn.execute(queries.mark_webhook_events_processed, payment_intent_id)
