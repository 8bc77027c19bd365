"""The event stream's publisher on cron: each second the holds ledger's new starts and
expiries are counted into the outbox, then the outbox's unpublished rows go to RabbitMQ
(app/stream/publisher.py), when a broker is configured.

arq makes each tick one job across all workers; a tick still publishing when the next
starts is harmless (claims skip each other's locked rows).
"""

from __future__ import annotations

import logging
from typing import Any

from app.core.resources import Resources
from app.stream.publisher import Publisher, count_hold_moves, publish_all

log = logging.getLogger("onsale.worker.stream")


def publisher(ctx: dict[str, Any]) -> Publisher | None:
    """This worker's Publisher (one broker connection), made on first use; None without a
    broker. Kept in the dict the startup put in ctx (arq hands each job a copy of ctx)."""
    res: Resources = ctx["resources"]
    if not res.settings.amqp_url:
        return None
    box: dict[str, Publisher] = ctx.setdefault("streamer", {})
    current = box.get("publisher")
    if current is None:
        current = box["publisher"] = Publisher(res.settings.amqp_url, res.settings.stream_exchange)
    return current


async def close_publisher(ctx: dict[str, Any]) -> None:
    current: Publisher | None = ctx.get("streamer", {}).pop("publisher", None)
    if current is not None:
        await current.close()


async def stream_tick(ctx: dict[str, Any]) -> int:
    """Publish the outbox's backlog; how many rows were marked published."""
    pub = publisher(ctx)
    if pub is None:
        return 0
    res: Resources = ctx["resources"]
    await count_hold_moves(res.pool)
    try:
        return await publish_all(res.pool, pub)
    except Exception:  # broker down: the rows wait for the next tick
        log.warning("event stream: broker unreachable, retrying next tick", exc_info=True)
        await pub.close()
        return 0
