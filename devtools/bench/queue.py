"""The `queue` scenario: join and status of the waiting room with 10k and 1M queued fans.

Redis-level (no HTTP): fans join through lua/queue_join.lua (pipelines of 500,
one client); then

1. joins per second;
2. Redis memory per queued fan: INFO used_memory delta over the whole fill
   (the headline, `queue_bytes_per_fan`) and MEMORY USAGE of the queue keys;
3. status lookups (lua/queue_status.lua, one awaited call at a time, random
   fans) in a 10k queue and in the full one, interleaved so that machine noise
   hits both alike, p50/p99, and the Redis time per call of each (commandstats).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from typing import Any

import uvloop
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import now_ms
from app.core.redis import create_redis
from app.core.scripts import Scripts
from waiting_room.members import member_of
from waiting_room.scripts import Join, Place, queue_scripts

PIPELINE = 500


async def setup_event(redis: Redis, event_id: str) -> None:
    now = now_ms()
    await redis.hset(  # type: ignore[misc]
        keys.event_meta(event_id),
        mapping={
            "status": "published",
            "onsale_at_ms": now - 60_000,
            "offsale_at_ms": now + 86_400_000,
            "sections": "FLOOR",
            "wr_enabled": 1,
            "wr_admit_batch_size": 500,
            "wr_admit_interval_s": 10,
            "wr_max_active_shoppers": 5000,
            "wr_session_ttl_s": 900,
            "wr_mode": "fifo",
            "wr_prequeue_opens_at_ms": 0,
        },
    )
    await redis.hset(  # type: ignore[misc]
        keys.inventory(event_id),
        mapping={"FLOOR:capacity": 5000, "FLOOR:available": 5000, "FLOOR:held": 0, "FLOOR:sold": 0},
    )


async def fill(scripts: Scripts, event_id: str, members: list[str]) -> float:
    """Join every member; returns joins per second."""
    redis = scripts.redis
    started = time.perf_counter()
    for i in range(0, len(members), PIPELINE):
        now = now_ms()
        pipe = redis.pipeline(transaction=False)
        for member in members[i : i + PIPELINE]:
            await queue_scripts(scripts).join(event_id, member, now, client=pipe)
        results = await pipe.execute()
        assert all(Join(int(r[0])) is Join.CREATED for r in results), results[:3]
    return len(members) / (time.perf_counter() - started)


async def status_once(scripts: Scripts, event_id: str, member: str) -> float:
    now = now_ms()
    t0 = time.perf_counter()
    reply = await queue_scripts(scripts).status(event_id, member, now)
    elapsed = (time.perf_counter() - t0) * 1e6
    assert reply.place is Place.WAITING, reply
    return elapsed


def summary(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "p50_us": statistics.median(times),
        "p99_us": times[int(len(times) * 0.99) - 1],
        "n": len(times),
    }


async def server_us_per_call(redis: Redis) -> float:
    stats = await redis.info("commandstats")
    entry = stats.get("cmdstat_evalsha") or {}
    return float(entry.get("usec_per_call", 0.0))


async def lookups(
    scripts: Scripts, small: tuple[str, list[str]], big: tuple[str, list[str]], n: int
) -> dict[str, Any]:
    """Interleaved small/big lookups (machine noise hits both alike), then server time each."""
    small_times: list[float] = []
    big_times: list[float] = []
    small_sample = random.sample(small[1], min(n, len(small[1])))
    big_sample = random.sample(big[1], min(n, len(big[1])))
    for a, b in zip(small_sample, big_sample, strict=False):
        small_times.append(await status_once(scripts, small[0], a))
        big_times.append(await status_once(scripts, big[0], b))
    server: dict[str, float] = {}
    for name, (event_id, sample) in (
        ("small", (small[0], small_sample)),
        ("big", (big[0], big_sample)),
    ):
        await scripts.redis.config_resetstat()
        for member in sample:
            await status_once(scripts, event_id, member)
        server[name] = await server_us_per_call(scripts.redis)
    return {
        "at_10k": {**summary(small_times), "server_us_per_call": server["small"]},
        "at_full": {**summary(big_times), "server_us_per_call": server["big"]},
    }


async def used_memory(redis: Redis) -> int:
    info = await redis.info("memory")
    return int(info["used_memory"])


async def key_memory(redis: Redis, event_id: str) -> dict[str, int]:
    out: dict[str, int] = {}
    async for key in redis.scan_iter(
        match=keys.tag(event_id).replace("{", "\\{").replace("}", "\\}") + ":q:*"
    ):
        out[key] = int(await redis.memory_usage(key, samples=0) or 0)
    return out


async def _run(url: str, fans: int, n_lookups: int) -> dict[str, Any]:
    redis = create_redis(url)
    await redis.flushdb()
    scripts = Scripts(redis)
    small_event, big_event = str(uuid.uuid4()), str(uuid.uuid4())
    await setup_event(redis, small_event)
    await setup_event(redis, big_event)
    small_members = [member_of(str(uuid.uuid4())) for _ in range(10_000)]
    members = [member_of(str(uuid.uuid4())) for _ in range(fans)]
    await fill(scripts, small_event, small_members)
    base = await used_memory(redis)
    joins_per_s = await fill(scripts, big_event, members)
    total = await used_memory(redis) - base
    per_key = await key_memory(redis, big_event)
    timings = await lookups(scripts, (small_event, small_members), (big_event, members), n_lookups)
    await redis.aclose()
    queued_bytes = sum(per_key.values())
    return {
        "fans": fans,
        "joins_per_s": round(joins_per_s),
        "used_memory_delta_bytes": total,
        "bytes_per_fan_used_memory": round(total / fans, 1),
        "bytes_per_fan_keys": round(queued_bytes / fans, 1),
        "keys": per_key,
        "status_at_10k": timings["at_10k"],
        "status_at_full": timings["at_full"],
        "p99_ratio_full_vs_10k": round(
            timings["at_full"]["p99_us"] / timings["at_10k"]["p99_us"], 2
        ),
    }


def run(redis_url: str, fans: int, lookups: int) -> dict[str, Any]:
    """Flushes the Redis database first: run it on the bench's own Redis only."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_run(redis_url, fans, lookups))
