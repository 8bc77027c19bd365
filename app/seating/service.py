"""Seat maps: import (pretix JSON or CSV), export, block and unblock, the public seats view.

The record (Postgres: seat_maps, seat_categories, seats, sections.seated and capacity)
and the hot-path copy in Redis (lua/load_seats.lua, block_seats.lua) change together:
the section's row is locked, the Redis script decides (it refuses to drop or block a
held or sold seat), then the record is written and committed.
"""

from __future__ import annotations

import hashlib
import json
import logging

import asyncpg
import msgspec

from app.core.db import Conn
from app.core.errors import not_found
from app.core.scripts import Scripts
from app.core.security import Principal
from app.events import mirror
from app.events.service import get_managed_event
from app.seating import repo
from app.seating.errors import (
    not_seated,
    seats_in_use,
    seats_taken,
    seats_unknown,
    section_has_sales,
)
from app.seating.plan import SeatMap, export_csv, export_pretix, parse_csv, parse_pretix
from app.seating.schemas import (
    BlockOut,
    CategoryOut,
    SeatMapResult,
    SeatOut,
    SeatsOut,
    SeatStatus,
)
from app.seating.scripts import Block, Load, seat_scripts

log = logging.getLogger("onsale.seating")


def _categories(m: SeatMap) -> list[CategoryOut]:
    return [CategoryOut(name=n, price_cents=p, color=c) for n, (p, c) in m.categories.items()]


async def import_map(
    pool: asyncpg.Pool,
    scripts: Scripts,
    principal: Principal,
    event_id: str,
    code: str,
    body: bytes,
    content_type: str,
) -> SeatMapResult:
    """The section's seats become the map in `body` (the section is seated from now on)."""
    async with pool.acquire() as conn, conn.transaction():
        await get_managed_event(conn, principal, event_id, need="edit")
        section = await repo.section_for_update(conn, event_id, code)
        if section is None:
            raise not_found("Section")
        if content_type.startswith("text/csv"):
            m = parse_csv(body, code, section.price_cents)
        else:
            m = parse_pretix(body, section.price_cents)
        old_ids = await repo.seat_ids(conn, event_id, code)
        if not section.seated and section.sold > 0:
            raise section_has_sales(code)
        outcome, in_use, _ = await seat_scripts(scripts).load(event_id, code, m, old_ids)
        if outcome is Load.GENERAL_ADMISSION_SOLD:
            raise section_has_sales(code)
        if outcome is Load.IN_USE:
            raise seats_in_use(in_use)
        row = await repo.replace_map(conn, event_id, code, m)
    mirror.forget_availability(event_id)
    blocked = sum(1 for s in m.seats if s.blocked)
    return SeatMapResult(
        seats=len(m.seats), categories=_categories(m), capacity=row.capacity, blocked=blocked
    )


async def export_map(
    pool: asyncpg.Pool, principal: Principal, event_id: str, code: str, fmt: str
) -> tuple[bytes, str]:
    """(body, media type) of the section's map: pretix JSON (with or without Onsale's member)
    or CSV."""
    await get_managed_event(pool, principal, event_id, need="read")
    m = await repo.load_map(pool, event_id, code)
    if m is None:
        raise not_seated(code)
    if fmt == "csv":
        return export_csv(code, m.categories, m.seats).encode(), "text/csv; charset=utf-8"
    plan = export_pretix(m.plan, m.categories, m.seats, m.focal, extension=fmt != "pretix")
    return json.dumps(plan, ensure_ascii=False).encode(), "application/json"


async def set_blocked(
    pool: asyncpg.Pool,
    scripts: Scripts,
    principal: Principal,
    event_id: str,
    code: str,
    ids: list[str],
    *,
    block: bool,
) -> BlockOut:
    """Block (hold back) or unblock seats; all or none; a held or sold seat refuses."""
    wanted = list(dict.fromkeys(ids))
    async with pool.acquire() as conn, conn.transaction():
        await get_managed_event(conn, principal, event_id, need="edit")
        section = await repo.section_for_update(conn, event_id, code)
        if section is None:
            raise not_found("Section")
        if not section.seated:
            raise not_seated(code)
        outcome, seats = await seat_scripts(scripts).block(event_id, code, wanted, block=block)
        if outcome is Block.UNKNOWN:
            raise seats_unknown(seats)
        if outcome is Block.TAKEN:
            raise seats_taken(seats)
        row = await repo.set_blocked(conn, event_id, code, seats, block) if seats else section
    mirror.forget_availability(event_id)
    return BlockOut(changed=seats, capacity=row.capacity)


_STATUS: dict[str, SeatStatus] = {"": "free", "b": "blocked", "h": "held", "s": "sold"}


async def seats_view(scripts: Scripts, event_id: str, code: str) -> bytes:
    """The public seats of a section (one Redis round trip), encoded once for every caller."""
    status, plan_text, states = await seat_scripts(scripts).read(event_id, code)
    if status in ("", "draft") or not plan_text:
        raise not_found("Seat map")
    plan = json.loads(plan_text)
    counts = {"free": 0, "held": 0, "sold": 0, "blocked": 0}
    seats: list[SeatOut] = []
    rows = {label: i for i, label in enumerate(plan["rows"])}
    for st in sorted(states, key=lambda s: (rows.get(s.row, 0), s.x, s.y)):
        status = _STATUS[st.state[:1]]
        counts[status] += 1
        seats.append(
            SeatOut(
                seat_id=st.seat_id,
                row=st.row,
                number=st.number,
                category=st.category,
                x=st.x,
                y=st.y,
                accessible="a" in st.flags,
                companion="c" in st.flags,
                status=status,
            )
        )
    out = SeatsOut(
        section=code,
        seats=seats,
        categories=[CategoryOut(name=k[0], price_cents=k[1], color=k[2]) for k in plan["k"]],
        focal_point={"x": plan["fx"], "y": plan["fy"]},
        counts=counts,
    )
    return msgspec.json.encode(out)


def etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


class SeatMapCopy:
    """The seat maps of a duplicated event (app.events.service.SeatMaps): each seated
    section's seats, categories and blocks, none of its holds or sales."""

    def __init__(self, scripts: Scripts) -> None:
        self._scripts = scripts

    async def copy(self, conn: Conn, source_id: str, target_id: str) -> list[str]:
        copied = []
        for code in await repo.seated_sections(conn, source_id):
            m = await repo.load_map(conn, source_id, code)
            if m is not None:
                await repo.replace_map(conn, target_id, code, m)
                copied.append(code)
        return copied

    async def load(self, pool: asyncpg.Pool, event_id: str, codes: list[str]) -> None:
        for code in codes:
            m = await repo.load_map(pool, event_id, code)
            if m is not None:
                outcome, _, _ = await seat_scripts(self._scripts).load(event_id, code, m, [])
                assert outcome is Load.OK  # a new draft: nothing held or sold to keep
