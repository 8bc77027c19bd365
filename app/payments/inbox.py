"""The Stripe events the API's concurrent webhook requests record, in one statement at once.

Each delivery is recorded once (the event id is the key) before its job is
queued, so a redelivery answers `duplicate`. One autocommitted insert per
delivery was a pool round trip in the API and a commit, with its WAL flush, in
Postgres: during a sale's finalize burst, hundreds a second. Deliveries that
arrive in the same event-loop tick, or while a statement is out, share one
insert of arrays (payments.sql insert_webhook_events) and its commit
(app.core.batcher). Each delivery learns whether it is new: of two deliveries
of one event in one batch, only the first is; a batch Postgres refused runs
again one delivery per statement, so one bad payload fails only its own.
"""

from __future__ import annotations

import logging

import asyncpg

from app.core.batcher import MicroBatcher, Pending
from app.core.perpool import PerPool
from app.core.sql import queries
from app.payments.webhooks import StripeEvent

log = logging.getLogger("onsale.payments")

BATCH_MAX = 128
IN_FLIGHT = 2

# An event as recorded: the verified event and its body as Stripe sent it (JSON text).
Delivery = tuple[StripeEvent, str]


class Inbox:
    """Records the webhook deliveries of one pool's concurrent requests in shared statements."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._batcher = MicroBatcher[Delivery](
            self._write, max_batch=BATCH_MAX, max_in_flight=IN_FLIGHT
        )

    async def record(self, event: StripeEvent, body: str) -> bool:
        new: bool = await self._batcher.submit((event, body))
        return new

    async def _write(self, batch: list[Pending[Delivery]]) -> None:
        if len(batch) > 1:
            try:
                new = await self._insert([delivery for delivery, _ in batch])
            except Exception as exc:
                log.warning("recording %d webhook events failed (%r); one by one", len(batch), exc)
            else:
                _answer(batch, new)
                return
        for delivery, future in batch:
            try:
                new = await self._insert([delivery])
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                _answer([(delivery, future)], new)

    async def _insert(self, deliveries: list[Delivery]) -> set[str]:
        distinct: dict[str, Delivery] = {}
        for event, body in deliveries:
            distinct.setdefault(event.id, (event, body))
        rows = await self.pool.fetch(
            queries.insert_webhook_events,
            list(distinct),
            [event.type for event, _ in distinct.values()],
            [event.payment_intent_id for event, _ in distinct.values()],
            [body for _, body in distinct.values()],
        )
        return {row["stripe_event_id"] for row in rows}


def _answer(batch: list[Pending[Delivery]], new: set[str]) -> None:
    """Each delivery whether it is new: the first of an event id in the batch, if recorded now."""
    for (event, _), future in batch:
        is_new = event.id in new
        new.discard(event.id)
        if not future.done():
            future.set_result(is_new)


# Every webhook request of one pool shares its statements: one Inbox per pool.
inbox = PerPool(Inbox)


async def record_event(pool: asyncpg.Pool, event: StripeEvent, body: str) -> bool:
    """Record a verified Stripe event once; True when this delivery is its first."""
    return await inbox(pool).record(event, body)
