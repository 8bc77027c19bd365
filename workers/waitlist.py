"""Waiting-list cron: each second, returned seats go to waiting fans as offers, announced."""

from __future__ import annotations

import logging
from typing import Any

from app.core.resources import Resources
from app.events.mirror import live_events
from app.waitlist import service

log = logging.getLogger("onsale.worker.waitlist")


async def waitlist_tick(ctx: dict[str, Any]) -> int:
    """Offer seats to waiting-list fans of every live event, then write their outbox rows.

    Offers are made in Redis first (atomic with the seats); an outbox write that
    fails (Postgres down) stays pending in Redis and is retried next tick.
    """
    res: Resources = ctx["resources"]
    offers = 0
    for event_id in await live_events(res.redis):
        offers += len(await service.offer_step(res.scripts, event_id))
        try:
            await service.notify_offers(res.pool, res.scripts, event_id)
        except (OSError, TimeoutError) as exc:
            log.warning("waiting-list notices of %s wait for Postgres: %s", event_id, exc)
    return offers
