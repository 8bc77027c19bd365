"""Notification crons: each second the producers, the dispatcher and the sender run; each
minute the event reminders are queued.

arq makes each tick one job across all workers; a tick that is still sending when the
next starts is harmless (claims are leased and skip each other's rows).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from app.core.clock import now_ms
from app.core.resources import Resources
from app.events.mirror import live_events
from app.notifications import producers
from app.notifications.dispatch import BATCH, dispatch
from app.notifications.sender import Sender

log = logging.getLogger("onsale.worker.notifications")


def sender(ctx: dict[str, Any]) -> Sender:
    """This worker's Sender (one HTTP client for providers and webhooks), made on first use.

    Kept in a dict the startup put in the worker's ctx: arq hands each job a copy
    of ctx, so a key set on it is gone by the next tick (a new HTTP client, and a
    new SSL context, every second before)."""
    box: dict[str, Sender] = ctx.setdefault("notifier", {})
    current = box.get("sender")
    if current is None:
        res: Resources = ctx["resources"]
        client = httpx.AsyncClient(timeout=res.settings.notify_send_timeout_s)
        current = box["sender"] = Sender(res.settings, res.pool, client)
    return current


async def close_sender(ctx: dict[str, Any]) -> None:
    current: Sender | None = ctx.get("notifier", {}).pop("sender", None)
    if current is not None:
        await current.client.aclose()


async def notify_tick(ctx: dict[str, Any]) -> dict[str, int]:
    """Turns and nudges into the outbox, the outbox into deliveries, due deliveries sent."""
    res: Resources = ctx["resources"]
    produced = 0
    for event_id in await live_events(res.redis):
        produced += await producers.your_turn(res.redis, res.pool, event_id)
        produced += await producers.hold_nudges(
            res.redis, res.pool, event_id, now_ms(), res.settings.notify_nudge_s
        )
    dispatched = 0
    while True:
        n = await dispatch(res.pool, res.settings)
        dispatched += n
        if n < BATCH:
            break
    notifier = sender(ctx)
    sent = await notifier.run_once()
    await notifier.refresh_dead_gauge()
    return {"produced": produced, "dispatched": dispatched, "claimed": sent}


async def reminders_tick(ctx: dict[str, Any]) -> int:
    res: Resources = ctx["resources"]
    return await producers.reminders(res.pool, res.settings.notify_reminder_s)
