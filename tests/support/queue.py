"""Helpers for the waiting-room tests: many fans fast, events with a room, the admitter."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from app.core.clock import now_ms as clock_ms
from app.core.redis import create_redis
from app.core.scripts import Scripts
from app.core.settings import Settings
from waiting_room import admission


def room(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "enabled": True,
        "admit_batch_size": 100,
        "admit_interval_s": 1,
        "max_active_shoppers": 1000,
        "session_ttl_s": 900,
        "mode": "fifo",
    }
    body.update(overrides)
    return body


class Admitter:
    """Runs admission ticks in the test process (what the arq cron does)."""

    def __init__(self, settings: Settings) -> None:
        self.redis: Redis = create_redis(settings.redis_url, pool_size=4)
        self.scripts = Scripts(self.redis)

    async def tick(self, event_id: str, now_ms: int | None = None) -> admission.TickResult:
        now = clock_ms() if now_ms is None else now_ms
        return await admission.tick(self.scripts, event_id, now)

    async def close(self) -> None:
        await self.redis.aclose()
