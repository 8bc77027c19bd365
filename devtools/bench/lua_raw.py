"""The `lua_raw` scenario: lua/reserve_seats.lua through redis-py, no HTTP (the Redis ceiling).

Three ways from one Python process (uvloop): one awaited call at a time, 50
tasks sharing the pool, and 16-deep pipelines. `lua_raw_ops` is the pipelined
rate: what Redis and one client core can do with the very script POST /holds
runs, keys and arguments shaped the same.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import uvloop

from app.core import keys
from app.core.clock import now_ms
from app.core.idempotency import IDEMPOTENCY_TTL_MS
from app.core.redis import create_redis
from app.core.scripts import Scripts

DAY_MS = 24 * 3600 * 1000
PIPELINE = 16
TASKS = 50


async def _run(redis_url: str, seconds: float) -> dict[str, float]:
    redis = create_redis(redis_url, pool_size=64)
    scripts = Scripts(redis)
    ev = str(uuid.uuid4())
    now = now_ms()
    await redis.hset(  # type: ignore[misc]
        keys.event_meta(ev),
        mapping={
            "status": "published",
            "onsale_at_ms": now - 1000,
            "offsale_at_ms": now + DAY_MS,
            "hold_ttl_s": 600,
            "max_per_order": 4,
            "max_per_user": 10**9,
            "currency": "EUR",
            "sections": "FLOOR",
            "price:FLOOR": 4200,
        },
    )
    await redis.hset(  # type: ignore[misc]
        keys.inventory(ev),
        mapping={
            "FLOOR:capacity": 10**9,
            "FLOOR:available": 10**9,
            "FLOOR:held": 0,
            "FLOOR:sold": 0,
        },
    )
    await redis.zadd(keys.active_sessions(ev), {"s": now + DAY_MS})
    fixed = [keys.event_meta(ev), keys.inventory(ev), keys.user_seats(ev), keys.active_sessions(ev)]
    tail = [keys.hold_expiry(ev), keys.hold_ends(ev)]
    hex_ev = uuid.UUID(ev).hex
    counter = 0
    ttls = [IDEMPOTENCY_TTL_MS, DAY_MS]

    def call(client: Any = None) -> Awaitable[Any]:
        nonlocal counter
        counter += 1
        hold_id = "h" + hex_ev + f"{counter:016x}"
        user = f"u{counter % 10_000}"
        return scripts.run(
            "reserve_seats",
            keys=[
                *fixed,
                keys.hold(ev, hold_id),
                *tail,
                keys.idempotency(ev, "holds", f"{user}:{counter}"),
            ],
            args=[now_ms(), ev, user, "s", "FLOOR", 1, hold_id, "FLOOR\x1f1", *ttls],
            client=client,
        )

    async def one_at_a_time(until: float) -> int:
        n = 0
        while time.perf_counter() < until:
            code = (await call())[0]
            if int(code) != 0:
                raise RuntimeError(f"reserve_seats refused: {code}")
            n += 1
        return n

    async def tasks(until: float) -> int:
        return sum(await asyncio.gather(*(one_at_a_time(until) for _ in range(TASKS))))

    async def pipelined(until: float) -> int:
        n = 0
        while time.perf_counter() < until:
            # Scripts' own pipeline: EVALSHA with its NOSCRIPT fallback, as the batcher.
            pipe = scripts.pipeline()
            for _ in range(PIPELINE):
                await call(pipe)
            results = await pipe.execute()
            if any(int(r[0]) != 0 for r in results):
                raise RuntimeError("reserve_seats refused in a pipeline")
            n += PIPELINE
        return n

    async def timed(run: Callable[[float], Awaitable[int]]) -> float:
        started = time.perf_counter()
        done = await run(started + seconds)
        return round(done / (time.perf_counter() - started), 1)

    await one_at_a_time(time.perf_counter() + 0.5)  # warm-up: scripts loaded, pool open
    out = {
        "one_at_a_time_ops": await timed(one_at_a_time),
        f"tasks_{TASKS}_ops": await timed(tasks),
        f"pipelined_{PIPELINE}_ops": await timed(pipelined),
    }
    await redis.flushdb()
    await redis.aclose()
    return out


def run(redis_url: str, seconds: float) -> dict[str, float]:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_run(redis_url, seconds))
