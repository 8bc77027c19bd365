"""Live waiting-room figures of one event for the Stats endpoint and metrics."""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import now_ms


class QueueStats(msgspec.Struct):
    waiting: int = 0
    admitted_total: int = 0
    active_shoppers: int = 0
    admit_rate_per_min: int = 0


async def queue_stats(redis: Redis, event_id: str) -> QueueStats:
    """Queue depth, admissions so far, live sessions, measured admission rate (O(log n))."""
    pipe = redis.pipeline(transaction=False)
    pipe.zcard(keys.queue_line(event_id))
    pipe.zcard(keys.queue_comeback(event_id))
    pipe.hmget(keys.queue_state(event_id), ["admitted", "rate_pm"])
    pipe.zcount(keys.active_sessions(event_id), f"({now_ms()}", "+inf")
    line, back, (admitted, rate_pm), active = await pipe.execute()
    return QueueStats(
        waiting=int(line) + int(back),
        admitted_total=int(admitted or 0),
        active_shoppers=int(active),
        admit_rate_per_min=int(float(rate_pm or 0)),
    )
