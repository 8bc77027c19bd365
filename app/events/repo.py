"""Events and sections in Postgres, through named SQL blocks."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

import asyncpg

from app.core.db import Conn
from app.core.ids import new_id
from app.core.sql import queries
from app.events.model import EventRecord, event_from_rows, waiting_room_to_json


def _mutable_columns(event: EventRecord) -> tuple[Any, ...]:
    """name .. static_codes: the columns insert_event and update_event both write, in order."""
    return (
        event.name,
        event.venue,
        event.starts_at,
        event.timezone,
        event.onsale_at,
        event.offsale_at,
        event.currency,
        event.hold_ttl_s,
        event.max_per_order,
        event.max_per_user,
        waiting_room_to_json(event.waiting_room),
        event.static_codes,
        event.require_verified_email,
    )


async def insert_event(conn: Conn, event: EventRecord) -> None:
    await conn.execute(
        queries.insert_event,
        uuid.UUID(event.event_id),
        uuid.UUID(event.organizer_id),
        *_mutable_columns(event),
        event.fairness_seed,
        event.fairness_seed_sha256,
        uuid.UUID(event.org_id),
    )
    await insert_sections(conn, event)


async def insert_sections(conn: Conn, event: EventRecord) -> None:
    for position, section in enumerate(event.sections):
        await conn.execute(
            queries.insert_section,
            uuid.UUID(event.event_id),
            section.code,
            section.name,
            section.price_cents,
            section.capacity,
            position,
        )


async def replace_sections(conn: Conn, event: EventRecord) -> None:
    await conn.execute(queries.delete_sections, uuid.UUID(event.event_id))
    await insert_sections(conn, event)


async def get_event(conn: Conn, event_id: str, *, for_update: bool = False) -> EventRecord | None:
    sql = queries.event_for_update if for_update else queries.event_by_id
    row = await conn.fetchrow(sql, uuid.UUID(event_id))
    if row is None:
        return None
    sections = await conn.fetch(queries.sections_of_event, uuid.UUID(event_id))
    return event_from_rows(row, sections)


async def list_events(
    conn: Conn,
    *,
    status: str | None,
    viewer_id: str | None,
    see_all: bool,
    archived: bool = False,
    org_id: str | None = None,
) -> list[EventRecord]:
    rows = await conn.fetch(
        queries.list_events,
        status,
        uuid.UUID(viewer_id) if viewer_id else None,
        see_all,
        archived,
        uuid.UUID(org_id) if org_id else None,
    )
    if not rows:
        return []
    sections: dict[Any, list[asyncpg.Record]] = defaultdict(list)
    for s in await conn.fetch(queries.sections_of_events, [r["event_id"] for r in rows]):
        sections[s["event_id"]].append(s)
    return [event_from_rows(r, sections[r["event_id"]]) for r in rows]


async def update_event(conn: Conn, event: EventRecord) -> None:
    await conn.execute(queries.update_event, uuid.UUID(event.event_id), *_mutable_columns(event))


async def set_status(conn: Conn, event_id: str, status: str, kind: str) -> None:
    """The new status, and the outbox message `kind` announcing it, in one statement."""
    await conn.execute(queries.set_event_status, uuid.UUID(event_id), status, kind)


async def live_event_ids(conn: Conn) -> list[str]:
    return [str(r["event_id"]) for r in await conn.fetch(queries.live_event_ids)]


async def due_to_end(conn: Conn, now: datetime) -> list[str]:
    return [str(r["event_id"]) for r in await conn.fetch(queries.due_to_end, now)]


async def end_event(conn: Conn, event_id: str) -> bool:
    status: str = await conn.execute(queries.end_event, uuid.UUID(event_id))
    return status.endswith(" 1")


async def has_sales(conn: Conn, event_id: str) -> bool:
    """Any order (pending included) or sold seat: its currency is fixed."""
    return bool(await conn.fetchval(queries.event_has_sales, uuid.UUID(event_id)))


async def set_archived(conn: Conn, event_id: str) -> None:
    await conn.execute(queries.archive_event, uuid.UUID(event_id))


async def copy_phases(conn: Conn, source_id: str, target_id: str, shift_s: int) -> int:
    """The source event's phases on the copy, their windows moved by `shift_s`, each with a
    new draw seed; codes, lists and registrations stay with the source. How many."""
    rows = await conn.fetch(queries.phases_to_copy, uuid.UUID(source_id))
    for row in rows:
        seed, seed_sha = new_seed()
        await conn.execute(
            queries.insert_phase_copy,
            uuid.UUID(new_id()),
            uuid.UUID(target_id),
            row["phase_id"],
            shift_s,
            seed,
            seed_sha,
        )
    return len(rows)


async def copy_ticket_types(
    conn: Conn, source_id: str, target_id: str, shift_s: int
) -> list[asyncpg.Record]:
    """The source event's ticket types on the copy, their sale windows moved by `shift_s`."""
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.copy_ticket_types, uuid.UUID(source_id), uuid.UUID(target_id), shift_s
    )
    return rows


def new_seed() -> tuple[str, str]:
    seed = secrets.token_hex(32)
    return seed, hashlib.sha256(seed.encode()).hexdigest()
