"""asyncpg calls of the outbox, deliveries, preferences and webhook endpoints (named SQL)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from app.core.db import Conn
from app.core.sql import queries


async def insert_message(conn: Conn, kind: str, dedup_key: str, payload: dict[str, Any]) -> None:
    await conn.execute(queries.insert_message, kind, dedup_key, payload)


async def insert_messages(conn: Conn, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    if rows:
        await conn.executemany(queries.insert_message, rows)


async def insert_reminders(conn: Conn, within_s: int) -> int:
    status: str = await conn.execute(queries.insert_reminders, float(within_s))
    return int(status.rsplit(" ", 1)[-1])


async def insert_sold_out(conn: Conn, event_id: str) -> None:
    await conn.execute(queries.insert_sold_out, uuid.UUID(event_id))


async def claim_outbox(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.claim_outbox, limit)
    return rows


async def mark_dispatched(conn: asyncpg.Connection, message_ids: Sequence[int]) -> None:
    await conn.execute(queries.mark_dispatched, list(message_ids))


async def recipient(conn: Conn, user_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.recipient, uuid.UUID(user_id))
    return row


async def recipients(conn: Conn, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch(queries.recipients, list(user_ids))
    return {row["user_id"]: row for row in rows}


async def events_of_orders(conn: Conn, order_ids: Sequence[uuid.UUID]) -> dict[str, str]:
    rows = await conn.fetch(queries.events_of_orders, list(order_ids))
    return {str(row["order_id"]): str(row["event_id"]) for row in rows}


async def endpoints_for_topics(
    conn: Conn, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[uuid.UUID]]:
    """(event_id, topic) -> the active endpoints of that event for that topic."""
    rows = await conn.fetch(
        queries.endpoints_for_topics,
        [uuid.UUID(event_id) for event_id, _ in pairs],
        [topic for _, topic in pairs],
    )
    found: dict[tuple[str, str], list[uuid.UUID]] = {}
    for row in rows:
        found.setdefault((str(row["event_id"]), row["topic"]), []).append(row["endpoint_id"])
    return found


Delivery = tuple[int, str, str, "uuid.UUID | None", str]


async def insert_deliveries(conn: Conn, deliveries: Sequence[Delivery]) -> None:
    """(message_id, channel, target, endpoint_id, locale) each once, in this order."""
    if deliveries:
        columns = [list(column) for column in zip(*deliveries, strict=True)]
        await conn.execute(queries.insert_deliveries, *columns)


async def claim_deliveries(conn: Conn, limit: int, lease_s: float) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.claim_deliveries, limit, float(lease_s))
    return rows


async def delivery_sent(conn: Conn, delivery_id: int, response_status: int | None) -> None:
    await conn.execute(queries.delivery_sent, delivery_id, response_status)


async def delivery_failed(
    conn: Conn,
    delivery_id: int,
    *,
    max_attempts: int,
    retry_in_s: float,
    error: str,
    response_status: int | None,
) -> str | None:
    """'pending' (retried later), 'dead', or None when the claim was no longer ours."""
    status: str | None = await conn.fetchval(
        queries.delivery_failed,
        delivery_id,
        max_attempts,
        float(retry_in_s),
        error[:500],
        response_status,
    )
    return status


async def dead_deliveries(conn: Conn) -> dict[str, int]:
    rows = await conn.fetch(queries.dead_deliveries)
    return {row["channel"]: row["n"] for row in rows}


async def retry_dead(conn: Conn) -> int:
    status: str = await conn.execute(queries.retry_dead)
    return int(status.rsplit(" ", 1)[-1])


async def deliveries_of_kind(conn: Conn, kind: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.deliveries_of_message_kind, kind)
    return rows


async def order_for_message(conn: Conn, order_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.order_for_message, uuid.UUID(order_id))
    return row


async def tickets_for_message(conn: Conn, order_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.tickets_for_message, uuid.UUID(order_id))
    return rows


async def event_for_message(conn: Conn, event_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.event_for_message, uuid.UUID(event_id))
    return row


async def section_name(conn: Conn, event_id: str, code: str) -> str | None:
    name: str | None = await conn.fetchval(queries.section_name, uuid.UUID(event_id), code)
    return name


async def seat_labels(
    conn: Conn, event_id: str, section: str, seat_ids: Sequence[str]
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.seat_labels, uuid.UUID(event_id), section, list(seat_ids)
    )
    return rows


async def prefs_of_user(conn: Conn, user_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.prefs_of_user, uuid.UUID(user_id))
    return row


async def upsert_prefs(
    conn: Conn,
    user_id: str,
    *,
    email: bool,
    sms: bool,
    push: bool,
    phone: str | None,
    push_token: str | None,
) -> None:
    await conn.execute(
        queries.upsert_prefs, uuid.UUID(user_id), email, sms, push, phone, push_token
    )


async def insert_endpoint(
    conn: Conn,
    *,
    endpoint_id: str,
    organizer_id: str,
    event_id: str | None,
    url: str,
    secret: str,
    topics: list[str],
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        queries.insert_endpoint,
        uuid.UUID(endpoint_id),
        uuid.UUID(organizer_id),
        uuid.UUID(event_id) if event_id else None,
        url,
        secret,
        topics,
    )
    return row


async def endpoints_of_event(conn: Conn, event_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.endpoints_of_event, uuid.UUID(event_id))
    return rows


async def endpoints_of_organizer(conn: Conn, organizer_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.endpoints_of_organizer, uuid.UUID(organizer_id)
    )
    return rows


async def endpoint_by_id(conn: Conn, endpoint_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.endpoint_by_id, uuid.UUID(endpoint_id))
    return row


async def endpoint_secret(conn: Conn, endpoint_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.endpoint_secret, endpoint_id)
    return row


async def delete_endpoint(conn: Conn, endpoint_id: str) -> None:
    await conn.execute(queries.delete_endpoint, uuid.UUID(endpoint_id))


async def deliveries_of_endpoint(conn: Conn, endpoint_id: str, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.deliveries_of_endpoint, uuid.UUID(endpoint_id), limit
    )
    return rows


async def replay_delivery(conn: Conn, endpoint_id: str, delivery_id: int) -> bool:
    """Due again now with a fresh budget; False when it is not this endpoint's or in flight."""
    row = await conn.fetchrow(queries.replay_delivery, delivery_id, uuid.UUID(endpoint_id))
    return row is not None


async def delivery_of_endpoint(
    conn: Conn, endpoint_id: str, delivery_id: int
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        queries.delivery_of_endpoint, delivery_id, uuid.UUID(endpoint_id)
    )
    return row
