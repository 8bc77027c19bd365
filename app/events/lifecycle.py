"""Event lifecycle: a sale past its offsale_at ends once no hold of it remains.

`ended` takes the event out of the live set (keys.live_events), so every
per-event cron (admission, expiry, ledger, reconcile, checkout sweeper) and
the live /metrics gauges only ever loop over events that can still change: a
tick's work does not grow with history.
"""

from __future__ import annotations

import logging

import asyncpg
import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import utcnow
from app.core.scripts import Scripts
from app.events import mirror, repo

log = logging.getLogger("onsale.events.lifecycle")


async def holds_remain(redis: Redis, event_id: str) -> bool:
    """Any hold of the event still live in Redis (held seats, an expiry or a checkout)?"""
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(keys.inventory(event_id))
    pipe.zcard(keys.hold_expiry(event_id))
    pipe.zcard(keys.checkouts(event_id))
    inventory, expiring, checking_out = await pipe.execute()
    held = sum(int(v) for k, v in inventory.items() if k.endswith(":held"))
    return held > 0 or expiring > 0 or checking_out > 0


async def end_due_events(pool: asyncpg.Pool, redis: Redis, scripts: Scripts) -> list[str]:
    """End every live event past offsale_at whose holds are all settled; their ids."""
    ended: list[str] = []
    for event_id in await repo.due_to_end(pool, utcnow()):
        if await holds_remain(redis, event_id):
            continue
        async with pool.acquire() as conn, conn.transaction():
            event = await repo.get_event(conn, event_id, for_update=True)
            if event is None or not await repo.end_event(conn, event_id):
                continue
        await mirror.sync_event(redis, scripts, msgspec.structs.replace(event, status="ended"))
        log.info("event %s ended (offsale_at %s passed, no holds)", event_id, event.offsale_at)
        ended.append(event_id)
    return ended
