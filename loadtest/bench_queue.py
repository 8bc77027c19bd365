"""Waiting-room benchmark: 1,000,000 fans queued directly in Redis through the join script.

    python loadtest/bench_queue.py [--fans 1000000] [--lookups 5000] [--json out.json]

Reports:
1. joins per second through lua/queue_join.lua (pipelines of 500, one client),
2. Redis memory per queued fan (INFO used_memory delta and MEMORY USAGE of the
   line zset plus the poll bitmaps; goal <= 200 bytes),
3. status lookup latency (lua/queue_status.lua, one awaited call at a time,
   random fans) p50/p99 in a 10k queue and in the full queue, interleaved so
   that machine noise hits both alike (goal: p99 at 1M within 1.5x of p99 at
   10k), and the Redis time per call of each (INFO commandstats).

Redis: ONSALE_REDIS_URL when set, else an embedded Valkey started here. This is
a Redis-level bench (no HTTP), so it uses app.core and waiting_room for setup
and keys, like bench_holds.py does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis.asyncio import Redis

from app.core import keys
from app.core.embedded import EmbeddedRedis
from app.core.scripts import Scripts
from waiting_room import qkeys, queue

PIPELINE = 500


async def setup_event(redis: Redis, event_id: str) -> None:
    now = int(time.time() * 1000)
    await redis.hset(
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
    await redis.hset(
        keys.inventory(event_id),
        mapping={"FLOOR:capacity": 5000, "FLOOR:available": 5000, "FLOOR:held": 0, "FLOOR:sold": 0},
    )


def join_keys(event_id: str, now: int) -> list[str]:
    return [
        keys.event_meta(event_id),
        keys.inventory(event_id),
        qkeys.line(event_id),
        qkeys.state(event_id),
        qkeys.sessions(event_id),
        qkeys.skipped(event_id),
        qkeys.comeback(event_id),
        keys.active_sessions(event_id),
        qkeys.seen(event_id, qkeys.window_of(now)),
    ]


async def fill(scripts: Scripts, event_id: str, members: list[str]) -> float:
    """Join every member; returns joins per second."""
    redis = scripts.redis
    started = time.perf_counter()
    for i in range(0, len(members), PIPELINE):
        now = int(time.time() * 1000)
        ks = join_keys(event_id, now)
        pipe = redis.pipeline(transaction=False)
        for member in members[i : i + PIPELINE]:
            await scripts.run(
                "queue_join",
                keys=ks,
                args=[member, now, queue.NOSHOW_GRACE_S * 1000, queue.WINDOW_TTL_MS],
                client=pipe,
            )
        results = await pipe.execute()
        assert all(int(r[0]) == 1 for r in results), results[:3]
    return len(members) / (time.perf_counter() - started)


async def status_once(scripts: Scripts, event_id: str, member: str) -> float:
    now = int(time.time() * 1000)
    window = qkeys.window_of(now)
    t0 = time.perf_counter()
    raw = await scripts.run(
        "queue_status",
        keys=[
            *join_keys(event_id, now)[:8],
            qkeys.seen(event_id, window),
            qkeys.seen_long(event_id, window),
        ],
        args=[
            member,
            now,
            queue.NOSHOW_GRACE_S * 1000,
            qkeys.SHORT_POLL_MAX_S,
            queue.WINDOW_TTL_MS,
        ],
    )
    elapsed = (time.perf_counter() - t0) * 1e6
    assert int(raw[0]) == 2, raw
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


async def run(url: str, fans: int, n_lookups: int) -> dict[str, Any]:
    redis = Redis.from_url(url, decode_responses=True)
    await redis.flushdb()
    scripts = Scripts(redis)
    small_event, big_event = str(uuid.uuid4()), str(uuid.uuid4())
    await setup_event(redis, small_event)
    await setup_event(redis, big_event)
    small_members = [qkeys.member_of(str(uuid.uuid4())) for _ in range(10_000)]
    members = [qkeys.member_of(str(uuid.uuid4())) for _ in range(fans)]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fans", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    url = os.environ.get("ONSALE_REDIS_URL")
    server = None
    with tempfile.TemporaryDirectory(prefix="onsale-bench-queue-") as folder:
        if not url:
            server = EmbeddedRedis(Path(folder) / "valkey", persist=False)
            url = server.start()
        try:
            result = asyncio.run(run(url, args.fans, args.lookups))
        finally:
            if server is not None:
                server.stop()
    for name in ("fans", "joins_per_s", "bytes_per_fan_used_memory", "bytes_per_fan_keys"):
        print(f"{name:28} {result[name]}")
    for name in ("status_at_10k", "status_at_full"):
        r = result[name]
        print(
            f"{name:28} p50 {r['p50_us']:.0f} us  p99 {r['p99_us']:.0f} us  (n={r['n']}), "
            f"Redis time {r['server_us_per_call']:.1f} us/call"
        )
    print(f"{'p99 ratio full / 10k':28} {result['p99_ratio_full_vs_10k']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
