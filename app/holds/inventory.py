"""Section inventory for organizers: live capacity changes and the Stats figures."""

from __future__ import annotations

import logging
from enum import IntEnum

import asyncpg
from redis.asyncio import Redis

from app.core import keys
from app.core.errors import AppError, not_found
from app.core.ids import new_id
from app.core.scripts import Scripts
from app.core.security import Principal
from app.events.model import EventRecord
from app.events.schemas import SectionOut
from app.events.service import get_managed_event
from app.holds import repo
from app.holds.schemas import SectionStats, Stats
from app.orders.service import order_stats
from waiting_room.stats import queue_stats

log = logging.getLogger("onsale.inventory")

LIVE_STATUSES = ("published", "paused")


class Adjust(IntEnum):
    """Return codes of lua/adjust_capacity.lua."""

    OK = 0
    NO_SUCH_SECTION = 1
    BELOW_COMMITTED = 2


def below_committed(code: str, withdrawable: int) -> AppError:
    return AppError(
        "capacity_below_committed",
        409,
        "Seats are committed",
        f"Section {code} has only {withdrawable} unsold seats that can be withdrawn",
    )


async def _adjust_redis(scripts: Scripts, event_id: str, code: str, delta: int) -> list[int]:
    result = await scripts.run(
        "adjust_capacity", keys=[keys.inventory(event_id)], args=[code, delta]
    )
    return [int(v) for v in result]


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
            if event.status in LIVE_STATUSES:
                result, _capacity, redis_available, _held, _sold = await _adjust_redis(
                    scripts, event_id, code, delta
                )
                if result == Adjust.BELOW_COMMITTED:
                    raise below_committed(code, redis_available)
                applied = result == Adjust.OK
                available = redis_available
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
            result = (await _adjust_redis(scripts, event_id, code, -delta))[0]
            if result != Adjust.OK:
                log.error("capacity change of %s/%s not undone in Redis", event_id, code)
        raise
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


async def stats(pool: asyncpg.Pool, redis: Redis, principal: Principal, event_id: str) -> Stats:
    event = await get_managed_event(pool, principal, event_id)
    sections, holds_active = await section_stats(redis, event)
    queue = await queue_stats(redis, event_id)
    orders = await order_stats(pool, event_id)
    return Stats(
        queue=queue,
        sections=sections,
        holds_active=holds_active,
        orders_confirmed=orders.orders_confirmed,
        revenue_cents=orders.revenue_cents,
        refunds=orders.refunds,
    )
