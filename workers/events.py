"""arq cron of the event lifecycle: live events past offsale_at end once their holds are gone."""

from __future__ import annotations

import logging
from typing import Any

from app.events import lifecycle

log = logging.getLogger("onsale.worker.events")


async def end_events_tick(ctx: dict[str, Any]) -> int:
    res = ctx["resources"]
    ended = await lifecycle.end_due_events(res.pool, res.redis, res.scripts)
    return len(ended)
