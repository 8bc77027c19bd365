"""An event's live figures for its organizer: waiting room, sections, holds, orders."""

from __future__ import annotations

import asyncpg
from redis.asyncio import Redis

from app.core.scripts import Scripts
from app.core.security import Principal
from app.events.service import get_managed_event
from app.holds.inventory import section_stats
from app.ops.schemas import Stats
from app.orders.tally import live_order_stats
from waiting_room.stats import queue_stats


async def event_stats(
    pool: asyncpg.Pool, redis: Redis, scripts: Scripts, principal: Principal, event_id: str
) -> tuple[Stats, int]:
    """The event's Stats, all from Redis (no order is read), and the orders confirmed in
    the last minute."""
    event = await get_managed_event(pool, principal, event_id, need="read")
    sections, holds_active = await section_stats(redis, event)
    queue = await queue_stats(redis, event_id)
    orders, last_min = await live_order_stats(pool, redis, scripts, event_id)
    stats = Stats(
        queue=queue,
        sections=sections,
        holds_active=holds_active,
        orders_confirmed=orders.orders_confirmed,
        revenue_cents=orders.revenue_cents,
        refunds=orders.refunds,
    )
    return stats, last_min
