"""Outbox rows published to the deployment's topic exchange, marked only once confirmed.

A batch is claimed with `FOR UPDATE SKIP LOCKED` and its lock held while the messages go
out: each is published persistent on a channel with publisher confirms, and only the ids
the broker acknowledged are marked published, in the claiming transaction. A broker that
is down, refuses or does not answer leaves its rows unmarked for the next tick; a
publisher that dies after a confirm and before the commit publishes the same message
again under the same id, which is how a consumer recognises the duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from app.stream import messages, repo

log = logging.getLogger("onsale.stream")

BATCH = 500
CONFIRM_TIMEOUT_S = 10.0


class Publisher:
    """One connection and confirming channel to the broker, opened on first use."""

    def __init__(self, url: str, exchange: str, *, confirm_timeout_s: float = CONFIRM_TIMEOUT_S):
        self.url = url
        self.exchange_name = exchange
        self.confirm_timeout_s = confirm_timeout_s
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None

    async def exchange(self) -> AbstractExchange:
        if self._exchange is None or self._channel is None or self._channel.is_closed:
            await self.close()
            self._connection = await aio_pika.connect_robust(self.url, timeout=5)
            self._channel = await self._connection.channel(publisher_confirms=True)
            self._exchange = await declare_exchange(self._channel, self.exchange_name)
        return self._exchange

    async def close(self) -> None:
        connection, self._connection, self._channel, self._exchange = (
            self._connection,
            None,
            None,
            None,
        )
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # a broken connection is closed all the same
                log.debug("closing the stream connection failed", exc_info=True)

    async def publish(self, batch: Sequence[tuple[messages.Message, str]]) -> list[bool]:
        """Publish each (message, routing key); per message, whether the broker confirmed it."""
        exchange = await self.exchange()

        async def one(message: messages.Message, key: str) -> bool:
            body = aio_pika.Message(
                messages.encode(message),
                content_type=messages.CONTENT_TYPE,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=message.id,
                type=message.type,
                headers={"schema": message.schema},
            )
            try:
                confirmation = await exchange.publish(
                    # Not mandatory: a type nobody subscribed to is dropped by the broker,
                    # as on any topic exchange; consumers' durable queues keep the rest.
                    body,
                    routing_key=key,
                    mandatory=False,
                    timeout=self.confirm_timeout_s,
                )
            except Exception:  # nack, timeout, closed channel: not confirmed
                log.warning("stream publish of %s not confirmed", message.id, exc_info=True)
                return False
            return is_ack(confirmation)

        results = await asyncio.gather(*(one(m, k) for m, k in batch))
        if not all(results):
            # A channel that lost a confirm may be broken: open a fresh one next time.
            await self.close()
        return list(results)


def is_ack(confirmation: Any) -> bool:
    """Whether a publish result is the broker's Basic.Ack (not a Nack or a return)."""
    from pamqp import commands

    return isinstance(confirmation, commands.Basic.Ack)


async def declare_exchange(channel: AbstractChannel, name: str) -> AbstractExchange:
    """The deployment's durable topic exchange (declared by publisher and consumers alike)."""
    return await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)


Planned = tuple[messages.Message, str, list[int]]


def plan(rows: Sequence[asyncpg.Record]) -> tuple[list[Planned], list[int]]:
    """What to publish for a claimed batch: (message, routing key, the outbox ids it carries),
    and the ids with nothing to publish (kinds that stay off the stream).

    Admissions and holds are many and alike, so each event's `queue.admitted`,
    `hold.created` and `hold.expired` of one second in a batch become one message with their
    summed counts, named after the first and last outbox id in it.
    """
    out: list[Planned] = []
    skipped: list[int] = []
    counted: dict[tuple[str, str, str], list[tuple[messages.Message, int]]] = {}
    for row in rows:
        message = messages.build(row)
        if message is None:
            skipped.append(row["message_id"])
            continue
        if message.type in messages.AGGREGATED:
            second = (message.type, message.event_id or "_", message.occurred_at)
            counted.setdefault(second, []).append((message, row["message_id"]))
            continue
        key = messages.routing_key(message.organizer_id, message.event_id, message.type)
        out.append((message, key, [row["message_id"]]))
    for alike in counted.values():
        first = alike[0][0]
        ids = [message_id for _, message_id in alike]
        first.id = f"{messages.message_id(min(ids))}_{max(ids)}"
        data: dict[str, int] = {}
        for one, _ in alike:
            for name, value in one.data.items():
                data[name] = data.get(name, 0) + int(value)
        first.data = dict(data)
        key = messages.routing_key(first.organizer_id, first.event_id, first.type)
        out.append((first, key, ids))
    return out, skipped


async def publish_once(pool: asyncpg.Pool, publisher: Publisher, batch: int = BATCH) -> int:
    """Claim up to `batch` unpublished rows, publish them, mark what was confirmed; how many
    rows were marked. Raises when the broker cannot be reached (nothing is marked then)."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await repo.claim_unpublished(conn, batch)
        if not rows:
            return 0
        planned, skipped = plan(rows)
        confirmed: list[int] = list(skipped)
        if planned:
            acks = await publisher.publish([(m, k) for m, k, _ in planned])
            for (_, _, ids), ack in zip(planned, acks, strict=True):
                if ack:
                    confirmed.extend(ids)
        await repo.mark_published(conn, confirmed)
    return len(confirmed)


async def count_hold_moves(pool: asyncpg.Pool, batch: int = BATCH) -> int:
    """Write the outbox's per-second counts of hold starts and expiries from the holds ledger
    (the ledger writer's copy of Redis, a second behind): the hot path pays nothing for
    `hold.created` and `hold.expired`. Each hold is counted once, in the statement that
    marks it; how many holds were counted."""
    total = 0
    while True:
        n = await repo.count_hold_moves(pool, batch)
        total += n
        if n < batch:
            return total


async def publish_all(pool: asyncpg.Pool, publisher: Publisher, batch: int = BATCH) -> int:
    """Publish until the backlog is empty or a batch is not fully confirmed; how many."""
    total = 0
    while True:
        n = await publish_once(pool, publisher, batch)
        total += n
        if n < batch:
            return total
