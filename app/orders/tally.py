"""An event's live order figures in Redis, so the console's stats read no order rows.

`orders_confirmed`, `revenue_cents`, `refunds` and the orders of the last minute
used to be counted over the event's orders in Postgres on every console refresh
(every 1.5 s per organizer watching, a scan that grows with the sale). They are
counters now, kept by lua/tally_orders.lua: the finalize job reports each order
it confirmed, the refund job each refund, and the script counts each (outcome,
order) once, so retried jobs count nothing twice.

Redis state can be rebuilt: when the tally has not been seeded from the record
(an event sold before this tally existed, or Redis lost it), the first read
counts the record's confirmed and refunded orders into it. The seed and the live
reports are one commutative union, so a seed racing a finalize neither loses nor
doubles an order.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import now_ms
from app.core.scripts import Scripts
from app.orders import repo
from app.orders.schemas import OrderStats

# Orders per seed call: a sale of 50,000 orders seeds in 25 calls, each one script run.
SEED_CHUNK = 2000
ORDERS_PER_MIN_WINDOW_MS = 60_000


class OrderTally:
    """lua/tally_orders.lua for one Redis client (use `scripts.view(OrderTally)`)."""

    def __init__(self, scripts: Scripts) -> None:
        self._scripts = scripts
        self._tally = scripts.get("tally_orders")

    async def _count(
        self,
        event_id: str,
        entries: Sequence[tuple[str, str, int, int]],
        *,
        seed: bool,
        batched: bool = False,
    ) -> int:
        args: list[str | int] = [now_ms(), 1 if seed else 0]
        for kind, order_id, amount_cents, at_ms in entries:
            args += [kind, order_id, amount_cents, at_ms]
        tally_keys = [
            keys.order_tally(event_id),
            keys.order_tally_seen(event_id),
            keys.orders_recent(event_id),
        ]
        # The finalize jobs of a worker share pipeline round trips (each call still atomic).
        call = self._scripts.call_batched if batched else self._scripts.call
        return int(await call(self._tally, tally_keys, args))

    async def confirmed(self, event_id: str, order_id: str, amount_cents: int) -> bool:
        """A confirmed order (once per order, however often reported); True if counted now."""
        return (
            await self._count(
                event_id, [("c", order_id, amount_cents, now_ms())], seed=False, batched=True
            )
            == 1
        )

    async def refunded(self, event_id: str, order_id: str, amount_cents: int) -> bool:
        """A refunded order leaves confirmed and revenue and counts as a refund, once."""
        return await self._count(event_id, [("r", order_id, amount_cents, 0)], seed=False) == 1

    async def seed(self, pool: asyncpg.Pool, event_id: str) -> None:
        """Count the record's confirmed and refunded orders in (those already counted are not)."""
        rows = await repo.tally_seed(pool, event_id)
        entries: list[tuple[str, str, int, int]] = []
        for r in rows:
            order_id, amount = str(r["order_id"]), int(r["amount_cents"])
            entries.append(("c", order_id, amount, int(r["confirmed_at_ms"])))
            if r["status"] == "refunded":
                entries.append(("r", order_id, amount, 0))
        for start in range(0, len(entries), SEED_CHUNK):
            await self._count(event_id, entries[start : start + SEED_CHUNK], seed=False)
        await self._count(event_id, [], seed=True)


async def read(redis: Redis, event_id: str) -> tuple[OrderStats, int] | None:
    """(figures, orders confirmed in the last minute) from Redis, None when not yet seeded."""
    pipe = redis.pipeline(transaction=False)
    pipe.hmget(keys.order_tally(event_id), ["confirmed", "revenue_cents", "refunds", "seeded"])
    pipe.zcount(keys.orders_recent(event_id), now_ms() - ORDERS_PER_MIN_WINDOW_MS, "+inf")
    (confirmed, revenue, refunds, seeded), last_min = await pipe.execute()
    if seeded is None:
        return None
    stats = OrderStats(
        orders_confirmed=int(confirmed or 0),
        revenue_cents=int(revenue or 0),
        refunds=int(refunds or 0),
    )
    return stats, int(last_min)


async def live_order_stats(
    pool: asyncpg.Pool, redis: Redis, scripts: Scripts, event_id: str
) -> tuple[OrderStats, int]:
    """The event's order figures and orders of the last minute, from the tally (seeded from
    the record on the first read that finds none)."""
    found = await read(redis, event_id)
    if found is None:
        await scripts.view(OrderTally).seed(pool, event_id)
        found = await read(redis, event_id)
        assert found is not None  # seeded just now
    return found
