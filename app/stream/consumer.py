"""Reading the stream: a queue bound to the deployment's exchange, for `onsale stream tail`
and for integrators' own consumers to copy.

A named queue is durable: it keeps what arrives while its consumer is away, and a message
is acknowledged only after the handler returned, so a consumer that dies and restarts
misses nothing and may see a message again (the same `id`). Without a name the queue is
the broker's own, exclusive, and gone with the connection: a live view.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractQueue, AbstractRobustConnection

from app.stream import messages
from app.stream.publisher import declare_exchange

Handler = Callable[[messages.Message], Awaitable[None]]


def binding_key(event_id: str | None = None, type_: str | None = None) -> str:
    """The topic pattern of `<organizer>.<event>.<type>` for an event and/or a type."""
    return f"*.{event_id or '*'}.{type_ or '#'}"


async def bind(
    connection: AbstractRobustConnection,
    exchange: str,
    *,
    queue: str | None = None,
    event_id: str | None = None,
    type_: str | None = None,
    prefetch: int = 100,
) -> AbstractQueue:
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=prefetch)
    ex = await declare_exchange(channel, exchange)
    if queue:
        declared = await channel.declare_queue(queue, durable=True)
    else:
        declared = await channel.declare_queue(exclusive=True, auto_delete=True)
    await declared.bind(ex, routing_key=binding_key(event_id, type_))
    return declared


async def consume(
    url: str,
    exchange: str,
    handler: Handler,
    *,
    queue: str | None = None,
    event_id: str | None = None,
    type_: str | None = None,
    ready: Callable[[], None] | None = None,
) -> None:
    """Hand every message to `handler`, acknowledging it after; runs until cancelled."""
    connection = await aio_pika.connect_robust(url, timeout=10)
    try:
        declared = await bind(connection, exchange, queue=queue, event_id=event_id, type_=type_)
        if ready is not None:
            ready()
        async with declared.iterator() as stream:
            async for incoming in stream:
                await handler(messages.decode(incoming.body))
                await incoming.ack()
    finally:
        await connection.close()
