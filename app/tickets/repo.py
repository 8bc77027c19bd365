"""asyncpg calls of ticket keys, check-in lists, scans, conflicts and scanner grants."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from app.core.db import Conn
from app.core.sql import queries

UUID = uuid.UUID


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


# --- Signing keys ---------------------------------------------------------------------------


async def current_key(conn: Conn, event_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.current_key, UUID(event_id))
    return row


async def insert_first_key(
    conn: Conn, event_id: str, kid: str, public: bytes, sealed: bytes
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        queries.insert_first_key, UUID(event_id), kid, public, sealed
    )
    return row


async def lock_event_keys(conn: asyncpg.Connection, event_id: str) -> None:
    await conn.execute(queries.lock_event_keys, UUID(event_id))


async def insert_key(
    conn: asyncpg.Connection, event_id: str, kid: str, public: bytes, sealed: bytes
) -> None:
    await conn.execute(queries.insert_key, UUID(event_id), kid, public, sealed)


async def key_by_kid(conn: Conn, event_id: str, kid: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.key_by_kid, UUID(event_id), kid)
    return row


async def keys_of_event(conn: Conn, event_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.keys_of_event, UUID(event_id))
    return rows


async def retire_other_keys(conn: asyncpg.Connection, event_id: str, kid: str) -> None:
    await conn.execute(queries.retire_other_keys, UUID(event_id), kid)


async def tickets_not_signed_with(
    conn: asyncpg.Connection, event_id: str, kid: str
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.tickets_not_signed_with, UUID(event_id), kid
    )
    return rows


async def set_ticket_codes(
    conn: asyncpg.Connection, ticket_ids: Sequence[UUID], codes: Sequence[str], kid: str
) -> None:
    await conn.execute(queries.set_ticket_codes, list(ticket_ids), list(codes), kid)


# --- Check-in -------------------------------------------------------------------------------


async def checkin_context(
    conn: Conn, list_id: str | None, event_id: str, user_id: str, ticket_id: str
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        queries.checkin_context, _uuid(list_id), UUID(event_id), UUID(user_id), UUID(ticket_id)
    )
    return row


async def admit(
    conn: Conn,
    *,
    list_id: UUID,
    ticket_id: UUID,
    event_id: UUID,
    gate: str,
    device_id: str,
    at: datetime,
    code: str,
    reentry: bool,
) -> str:
    result: str = await conn.fetchval(
        queries.admit, list_id, ticket_id, event_id, gate, device_id, at, code, reentry
    )
    return result


async def leave(
    conn: Conn,
    *,
    list_id: UUID,
    ticket_id: UUID,
    event_id: UUID,
    gate: str,
    device_id: str,
    at: datetime,
) -> str:
    result: str = await conn.fetchval(
        queries.leave, list_id, ticket_id, event_id, gate, device_id, at
    )
    return result


async def log_scan(
    conn: Conn,
    *,
    list_id: UUID,
    event_id: UUID,
    ticket_id: UUID,
    gate: str,
    device_id: str,
    direction: str,
    result: str,
    at: datetime,
) -> None:
    await conn.execute(
        queries.log_scan, list_id, event_id, ticket_id, gate, device_id, direction, result, at
    )


async def checkin_first(conn: Conn, list_id: UUID, ticket_id: UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.checkin_first, list_id, ticket_id)
    return row


async def log_offline_scan(
    conn: asyncpg.Connection,
    *,
    list_id: UUID,
    event_id: UUID,
    ticket_id: UUID,
    gate: str,
    device_id: str,
    direction: str,
    local_result: str,
    at: datetime,
) -> int | None:
    scan_id: int | None = await conn.fetchval(
        queries.log_offline_scan,
        list_id,
        event_id,
        ticket_id,
        gate,
        device_id,
        direction,
        local_result,
        at,
    )
    return scan_id


async def offline_scan_result(
    conn: asyncpg.Connection,
    list_id: UUID,
    ticket_id: UUID,
    device_id: str,
    at: datetime,
    direction: str,
) -> str | None:
    result: str | None = await conn.fetchval(
        queries.offline_scan_result, list_id, ticket_id, device_id, at, direction
    )
    return result


async def set_scan_result(conn: asyncpg.Connection, scan_id: int, result: str) -> None:
    await conn.execute(queries.set_scan_result, scan_id, result)


async def state_for_update(
    conn: asyncpg.Connection, list_id: UUID, ticket_id: UUID
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.state_for_update, list_id, ticket_id)
    return row


async def insert_state(
    conn: asyncpg.Connection,
    *,
    list_id: UUID,
    ticket_id: UUID,
    event_id: UUID,
    gate: str,
    device_id: str,
    at: datetime,
) -> bool:
    row = await conn.fetchval(
        queries.insert_state, list_id, ticket_id, event_id, gate, device_id, at
    )
    return row is not None


async def reenter_state(
    conn: asyncpg.Connection, list_id: UUID, ticket_id: UUID, at: datetime, gate: str
) -> None:
    await conn.execute(queries.reenter_state, list_id, ticket_id, at, gate)


async def exit_state(
    conn: asyncpg.Connection, list_id: UUID, ticket_id: UUID, at: datetime
) -> bool:
    status: str = await conn.execute(queries.exit_state, list_id, ticket_id, at)
    return status.endswith(" 1")


async def mark_conflict(conn: asyncpg.Connection, list_id: UUID, ticket_id: UUID) -> None:
    await conn.execute(queries.mark_conflict, list_id, ticket_id)


async def ticket_for_scan(conn: Conn, ticket_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.ticket_for_scan, UUID(ticket_id))
    return row


async def list_by_id(conn: Conn, list_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.list_by_id, UUID(list_id))
    return row


async def default_list(conn: Conn, event_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.default_list, UUID(event_id))
    return row


async def insert_list(
    conn: Conn,
    list_id: str,
    event_id: str,
    name: str,
    sections: list[str] | None,
    reentry: bool,
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        queries.insert_list, UUID(list_id), UUID(event_id), name, sections, reentry
    )
    return row


async def lists_with_counts(conn: Conn, event_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.lists_with_counts, UUID(event_id))
    return rows


async def gate_counts(conn: Conn, event_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.gate_counts, UUID(event_id))
    return rows


async def checkin_tickets(
    conn: Conn, event_id: str, list_id: UUID, sections: list[str] | None
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.checkin_tickets, UUID(event_id), list_id, sections
    )
    return rows


async def checkin_version(conn: Conn, event_id: str) -> int:
    version: int = await conn.fetchval(queries.checkin_version, UUID(event_id))
    return version


async def conflicts_of_event(conn: Conn, event_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.conflicts_of_event, UUID(event_id))
    return rows


async def resolve_conflict(conn: Conn, event_id: str, ticket_id: str, user_id: str) -> bool:
    status: str = await conn.execute(
        queries.resolve_conflict, UUID(event_id), UUID(ticket_id), UUID(user_id)
    )
    return not status.endswith(" 0")


# --- Scanner grants -------------------------------------------------------------------------


async def grant_scanner(conn: Conn, event_id: str, email: str, granted_by: str) -> None:
    await conn.execute(queries.grant_scanner, UUID(event_id), email, UUID(granted_by))


async def revoke_scanner(conn: Conn, event_id: str, email: str) -> None:
    await conn.execute(queries.revoke_scanner, UUID(event_id), email)


async def scanners_of_event(conn: Conn, event_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.scanners_of_event, UUID(event_id))
    return rows


async def is_scanner(conn: Conn, event_id: str, user_id: str) -> bool:
    value: bool = await conn.fetchval(queries.is_scanner, UUID(event_id), UUID(user_id))
    return value


async def scanner_events(
    conn: Conn, user_id: str, *, see_all: bool, scan_roles: list[str]
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.scanner_events, UUID(user_id), see_all, scan_roles
    )
    return rows
