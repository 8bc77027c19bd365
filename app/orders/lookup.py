"""The order rows the concurrent finalize jobs of a process read, in one statement at once.

Each finalize job reads its order (is it confirmed already? cancelled? owned by
another PaymentIntent?) before it converts the hold. One pool query per job is
a round trip plus asyncpg's reset on release; jobs that ask in the same
event-loop tick, or while a read is out, share one `order_states` statement
(app.core.batcher). A read has no effect, so a batch Postgres refused is
simply failed for each of its callers (the job retries).
"""

from __future__ import annotations

import uuid

import asyncpg

from app.core.batcher import MicroBatcher, Pending
from app.core.perpool import PerPool
from app.orders import repo

BATCH_MAX = 128
IN_FLIGHT = 2


class OrderReads:
    """Reads the orders of one pool's concurrent jobs in shared statements."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._batcher = MicroBatcher[uuid.UUID](
            self._read, max_batch=BATCH_MAX, max_in_flight=IN_FLIGHT
        )

    async def read(self, order_id: str) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self._batcher.submit(uuid.UUID(order_id))
        return row

    async def _read(self, batch: list[Pending[uuid.UUID]]) -> None:
        rows = await repo.order_states(self.pool, list({order_id for order_id, _ in batch}))
        by_id = {row["order_id"]: row for row in rows}
        for order_id, future in batch:
            if not future.done():
                future.set_result(by_id.get(order_id))


# Every read of one pool shares its statements: one OrderReads per pool.
order_reads = PerPool(OrderReads)


async def order_state(pool: asyncpg.Pool, order_id: str) -> asyncpg.Record | None:
    """The order's order_id, status and payment_intent_id (None: no such order yet)."""
    return await order_reads(pool).read(order_id)
