"""Seat maps in Postgres (named SQL blocks of seats.sql)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec

from app.core.db import Conn
from app.core.sql import queries
from app.seating.plan import Seat, SeatMap


class SeatSection(msgspec.Struct, frozen=True):
    code: str
    name: str
    price_cents: int
    capacity: int
    sold: int
    seated: bool = False


def _section(r: asyncpg.Record) -> SeatSection:
    return SeatSection(
        code=r["code"],
        name=r["name"],
        price_cents=r["price_cents"],
        capacity=r["capacity"],
        sold=r["sold"],
        seated=r.get("seated", True),
    )


async def section_for_update(conn: Conn, event_id: str, code: str) -> SeatSection | None:
    row = await conn.fetchrow(queries.seat_section_for_update, uuid.UUID(event_id), code)
    return _section(row) if row else None


async def seat_ids(conn: Conn, event_id: str, code: str) -> list[str]:
    rows = await conn.fetch(queries.seat_ids, uuid.UUID(event_id), code)
    return [r["seat_id"] for r in rows]


async def replace_map(conn: Conn, event_id: str, code: str, m: SeatMap) -> SeatSection:
    """The section's map becomes `m` (inside the caller's transaction)."""
    eid = uuid.UUID(event_id)
    await conn.execute(queries.delete_seat_map, eid, code)
    await conn.execute(queries.insert_seat_map, eid, code, m.plan, m.focal[0], m.focal[1])
    names = list(m.categories)
    await conn.execute(
        queries.insert_seat_categories,
        eid,
        code,
        names,
        [m.categories[n][0] for n in names],
        [m.categories[n][1] for n in names],
        list(range(len(names))),
    )
    s = m.seats
    await conn.execute(
        queries.insert_seats,
        eid,
        code,
        [x.seat_id for x in s],
        [x.row for x in s],
        [x.number for x in s],
        [x.category for x in s],
        [x.x for x in s],
        [x.y for x in s],
        [x.accessible for x in s],
        [x.companion for x in s],
        [x.blocked for x in s],
        list(range(len(s))),
    )
    capacity = sum(1 for x in s if not x.blocked)
    row = await conn.fetchrow(queries.set_section_seated, eid, code, capacity)
    return _section(row)


async def load_map(conn: Conn, event_id: str, code: str) -> SeatMap | None:
    """The section's stored map (None: the section is not seated)."""
    eid = uuid.UUID(event_id)
    head = await conn.fetchrow(queries.seat_map, eid, code)
    if head is None:
        return None
    cats = await conn.fetch(queries.seat_categories, eid, code)
    rows = await conn.fetch(queries.seats_of_section, eid, code)
    plan: dict[str, Any] = head["plan"]
    return SeatMap(
        seats=[
            Seat(
                seat_id=r["seat_id"],
                row=r["row_label"],
                number=r["number"],
                category=r["category"],
                x=r["x"],
                y=r["y"],
                accessible=r["accessible"],
                companion=r["companion"],
                blocked=r["blocked"],
            )
            for r in rows
        ],
        categories={c["category"]: (c["price_cents"], c["color"]) for c in cats},
        focal=(head["focal_x"], head["focal_y"]),
        plan=plan,
    )


async def set_blocked(
    conn: Conn, event_id: str, code: str, ids: Sequence[str], blocked: bool
) -> SeatSection:
    delta = -len(ids) if blocked else len(ids)
    row = await conn.fetchrow(
        queries.set_seats_blocked, uuid.UUID(event_id), code, list(ids), blocked, delta
    )
    return _section(row)


async def seated_sections(conn: Conn, event_id: str) -> list[str]:
    rows = await conn.fetch(queries.seated_sections, uuid.UUID(event_id))
    return [r["code"] for r in rows]


async def sold_seats(conn: Conn, event_id: str, code: str) -> dict[str, str]:
    """seat_id -> hold_id of the section's seats with a live ticket."""
    rows = await conn.fetch(queries.sold_seats, uuid.UUID(event_id), code)
    return {r["seat_id"]: r["hold_id"] for r in rows}
