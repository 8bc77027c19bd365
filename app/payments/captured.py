"""The bookkeeping after a capture, for the concurrent finalize jobs of a process at once.

A captured PaymentIntent's payment row turns captured, its webhook events
processed and its journal entry settled (payments.sql record_captured). One
job did this in three pool queries, each a round trip plus asyncpg's reset
query on release: six round trips per order. Jobs that finish their capture
in the same event-loop tick, or while a statement is out, share one statement
(app.core.batcher). All three updates are idempotent, so a retried job, or a
statement Postgres refused and that is then run per PaymentIntent, does each
once.
"""

from __future__ import annotations

import logging

import asyncpg

from app.core.batcher import MicroBatcher, Pending
from app.core.perpool import PerPool
from app.core.sql import queries

log = logging.getLogger("onsale.payments")

BATCH_MAX = 128
IN_FLIGHT = 2


class CaptureBook:
    """Records captures of one pool's concurrent jobs in shared statements."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._batcher = MicroBatcher[str](self._write, max_batch=BATCH_MAX, max_in_flight=IN_FLIGHT)

    async def record(self, payment_intent_id: str) -> None:
        await self._batcher.submit(payment_intent_id)

    async def _write(self, batch: list[Pending[str]]) -> None:
        if len(batch) > 1:
            try:
                await self.pool.execute(queries.record_captured, [pi for pi, _ in batch])
            except Exception:
                log.warning("capture bookkeeping of %d failed; one by one", len(batch))
            else:
                _resolve(batch)
                return
        for pi, future in batch:
            try:
                await self.pool.execute(queries.record_captured, [pi])
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                _resolve([(pi, future)])


def _resolve(batch: list[Pending[str]]) -> None:
    for _, future in batch:
        if not future.done():
            future.set_result(None)


# Every capture of one pool shares its statements: one CaptureBook per pool.
capture_book = PerPool(CaptureBook)


async def record_captured(pool: asyncpg.Pool, payment_intent_id: str) -> None:
    """The payment captured, its webhook events processed, its journal entry settled."""
    await capture_book(pool).record(payment_intent_id)
