"""Admission-control cron: steer each live event's batch to its targets; refresh the odds."""

from __future__ import annotations

import logging
from typing import Any

from app.admission import service
from app.core.clock import now_ms
from app.core.resources import Resources
from app.events.mirror import live_events

log = logging.getLogger("onsale.worker.control")


async def control_tick(ctx: dict[str, Any]) -> dict[str, int]:
    res: Resources = ctx["resources"]
    batches: dict[str, int] = {}
    for event_id in await live_events(res.redis):
        step = await service.step(res.redis, event_id, now_ms())
        if step is not None:
            batches[event_id] = step.batch
        try:
            await service.refresh_odds(res.pool, res.redis, event_id)
        except (OSError, TimeoutError) as exc:
            log.warning("odds of %s not refreshed (Postgres): %s", event_id, exc)
    return batches
