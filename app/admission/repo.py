"""The holds ledger figures behind the chance of success, through named SQL blocks."""

from __future__ import annotations

import uuid

import asyncpg

from app.core.db import Conn
from app.core.sql import queries


async def hold_outcomes(conn: Conn, event_id: str) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(queries.hold_outcomes, uuid.UUID(event_id))
    return row
