"""Section inventory for organizers: live capacity changes and per-section figures."""

from __future__ import annotations

import logging

import asyncpg
from redis.asyncio import Redis

from app.core import keys
from app.core.errors import not_found
from app.core.ids import new_id
from app.core.scripts import Scripts
from app.core.security import Principal
from app.events import mirror
from app.events.model import LIVE_STATUSES, EventRecord
from app.events.schemas import SectionOut
from app.events.service import get_managed_event
from app.holds import repo
from app.holds.errors import below_committed
from app.holds.schemas import SectionStats
from app.holds.scripts import Adjust, hold_scripts
from app.seating import repo as seating_repo
from app.seating.errors import seated_capacity

log = logging.getLogger("onsale.inventory")


async def adjust_capacity(
    pool: asyncpg.Pool,
    scripts: Scripts,
    principal: Principal,
    event_id: str,
    code: str,
    delta: int,
) -> SectionOut:
    """Add (delta > 0) or withdraw (delta < 0) unsold seats, live.

    Postgres row lock first, then the Redis script (which refuses to go below
    held + sold), then the Postgres update and ledger entry; if Postgres fails
    after Redis applied, Redis is put back.
    """
    applied = False
    try:
        async with pool.acquire() as conn, conn.transaction():
            event = await get_managed_event(conn, principal, event_id)
            section = await repo.section_for_update(conn, event_id, code)
            if section is None:
                raise not_found("Section")
            seats = await seating_repo.section_for_update(conn, event_id, code)
            if seats is not None and seats.seated:
                raise seated_capacity(code)
            if event.status in LIVE_STATUSES:
                adjusted = await hold_scripts(scripts).adjust_capacity(event_id, code, delta)
                if adjusted.code is Adjust.BELOW_COMMITTED:
                    raise below_committed(code, adjusted.available)
                applied = adjusted.code is Adjust.OK
                available = adjusted.available
            if not applied:
                # Not in Redis (draft, ended, or inventory not loaded): the record decides.
                if section.capacity + delta < section.sold:
                    raise below_committed(code, section.capacity - section.sold)
                available = section.capacity - section.sold + delta
            try:
                row = await repo.add_capacity(conn, event_id, code, delta, ref=new_id())
            except asyncpg.CheckViolationError:
                raise below_committed(code, section.capacity - section.sold) from None
    except BaseException:
        if applied:
            undone = await hold_scripts(scripts).adjust_capacity(event_id, code, -delta)
            if undone.code is not Adjust.OK:
                log.error("capacity change of %s/%s not undone in Redis", event_id, code)
        raise
    mirror.forget_availability(event_id)
    return SectionOut(
        code=row.code,
        name=row.name,
        price_cents=row.price_cents,
        capacity=row.capacity,
        available=available,
    )


async def section_stats(redis: Redis, event: EventRecord) -> tuple[list[SectionStats], int]:
    """Per-section figures from Redis (Postgres before publish) and active holds."""
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(keys.inventory(event.event_id))
    pipe.zcard(keys.hold_expiry(event.event_id))
    inventory, holds_active = await pipe.execute()
    out: list[SectionStats] = []
    for s in event.sections:
        if f"{s.code}:capacity" in inventory:
            out.append(
                SectionStats(
                    code=s.code,
                    capacity=int(inventory[f"{s.code}:capacity"]),
                    available=int(inventory[f"{s.code}:available"]),
                    held=int(inventory[f"{s.code}:held"]),
                    sold=int(inventory[f"{s.code}:sold"]),
                )
            )
        else:
            out.append(
                SectionStats(
                    code=s.code,
                    capacity=s.capacity,
                    available=s.capacity - s.sold,
                    held=0,
                    sold=s.sold,
                )
            )
    return out, int(holds_active)
