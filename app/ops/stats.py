"""An event's live figures for its organizer: waiting room, sections, holds, orders."""

from __future__ import annotations

import asyncpg
from redis.asyncio import Redis

from app.core.security import Principal
from app.events.service import get_managed_event
from app.holds.inventory import section_stats
from app.ops.schemas import Stats
from app.orders.service import order_stats
from waiting_room.stats import queue_stats


async def event_stats(
    pool: asyncpg.Pool, redis: Redis, principal: Principal, event_id: str
) -> Stats:
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
