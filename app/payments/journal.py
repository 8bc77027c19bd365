"""The PaymentIntent journal: every PaymentIntent Onsale created, until it is settled."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.core.db import Conn
from app.core.sql import queries


@dataclass(frozen=True)
class JournalEntry:
    payment_intent_id: str
    order_id: str
    hold_id: str
    event_id: str
    created_at: datetime


async def record_payment_intent(
    conn: Conn, *, payment_intent_id: str, order_id: str, hold_id: str, event_id: str
) -> None:
    await conn.execute(
        queries.record_payment_intent,
        payment_intent_id,
        uuid.UUID(order_id),
        hold_id,
        uuid.UUID(event_id),
    )


async def settle_payment_intent(conn: Conn, payment_intent_id: str, outcome: str) -> None:
    await conn.execute(queries.settle_payment_intent, payment_intent_id, outcome)


async def unsettled_payment_intents(
    conn: Conn, created_before: datetime, limit: int
) -> list[JournalEntry]:
    rows = await conn.fetch(queries.unsettled_payment_intents, created_before, limit)
    return [
        JournalEntry(
            payment_intent_id=r["payment_intent_id"],
            order_id=str(r["order_id"]),
            hold_id=r["hold_id"],
            event_id=str(r["event_id"]),
            created_at=r["created_at"],
        )
        for r in rows
    ]


async def oldest_unsettled(conn: Conn) -> datetime | None:
    value: datetime | None = await conn.fetchval(queries.oldest_unsettled_payment_intent)
    return value
