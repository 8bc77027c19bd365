"""Shop health seen by each API process, shared through Redis for the admission controller.

The hot path only appends to an in-process buffer (no Redis call); a
background loop (app.lifespan) flushes it once a second: hold latencies as
'<at_ms>:<us>' samples on a short per-event list, outcomes as counters.
Hold success counts server-side failures only (timeouts, Redis errors):
business refusals such as sold_out are successes of the shop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core import keys
from app.core.clock import now_ms

log = logging.getLogger("onsale.signals")

# Samples kept per event (newest first) and per flush.
LATENCY_SAMPLES = 2000
FLUSH_INTERVAL_S = 1.0

_latencies: dict[str, list[str]] = defaultdict(list)
_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))


def observe_hold(event_id: str, seconds: float, ok: bool) -> None:
    samples = _latencies[event_id]
    if len(samples) < LATENCY_SAMPLES:
        samples.append(f"{now_ms()}:{round(seconds * 1e6)}")
    _counts[event_id]["hold_ok" if ok else "hold_failed"] += 1


def observe_payment(event_id: str, ok: bool) -> None:
    _counts[event_id]["pay_ok" if ok else "pay_failed"] += 1


async def flush(redis: Redis) -> None:
    """Write what this process saw since the last flush (lost on a Redis error: telemetry)."""
    if not _latencies and not _counts:
        return
    latencies = dict(_latencies)
    counts = {e: dict(c) for e, c in _counts.items()}
    _latencies.clear()
    _counts.clear()
    pipe = redis.pipeline(transaction=False)
    for event_id, samples in latencies.items():
        if samples:
            pipe.lpush(keys.admission_latencies(event_id), *samples)
            pipe.ltrim(keys.admission_latencies(event_id), 0, LATENCY_SAMPLES - 1)
    for event_id, fields in counts.items():
        for field, n in fields.items():
            pipe.hincrby(keys.admission_signals(event_id), field, n)
    try:
        await pipe.execute()
    except (RedisError, OSError) as exc:
        log.debug("shop signals not flushed: %s", exc)


async def flush_forever(redis: Redis) -> None:
    while True:
        started = time.monotonic()
        await flush(redis)
        await asyncio.sleep(max(0.1, FLUSH_INTERVAL_S - (time.monotonic() - started)))
