"""A cap on the queue streams one account holds open at once, across processes.

Each open stream holds a lease in the account's sorted set (score: lease
expiry in ms), renewed while it runs and removed when it ends; a process that
dies leaves a lease that lapses after LEASE_MS. Taking a slot is one MULTI:
drop lapsed leases, add ours, count; over the cap we take ours back out, so
racing opens can only under-admit, never exceed the cap, and answer 429 with
Retry-After set to when the oldest lease lapses.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from app.core import keys
from app.core.ids import new_id
from app.core.ratelimit import rate_limited

LEASE_MS = 60_000
# Releasing a slot when a stream ends waits at most this long for Redis.
RELEASE_TIMEOUT_S = 2.0


def _now_ms() -> int:
    return int(time.time() * 1000)


async def acquire(redis: Redis, user_id: str, cap: int) -> str:
    """A slot id, or 429 rate_limited when the account already has `cap` open streams."""
    key = keys.stream_slots(user_id)
    slot = new_id()
    now = _now_ms()
    # No MULTI (a Redis Cluster pipeline has none): each ZCARD counts every ZADD
    # sent before it, so racing streams can only be refused together, never
    # both let past the cap.
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zadd(key, {slot: now + LEASE_MS})
        pipe.zcard(key)
        pipe.pexpire(key, LEASE_MS)
        # The lease that lapses first: when the cap is reached, that is when a slot frees
        # up at the latest (a stream that closes releases its slot sooner).
        pipe.zrange(key, 0, 0, withscores=True)
        _, _, count, _, oldest = await pipe.execute()
    if int(count) > cap:
        await redis.zrem(key, slot)
        raise rate_limited(retry_after_s(oldest, now))
    return slot


def retry_after_s(oldest: list[tuple[bytes | str, float]], now_ms: int) -> int:
    """Whole seconds until the oldest lease ends (at least 1)."""
    ends_ms = oldest[0][1] if oldest else now_ms + LEASE_MS
    return max(1, -(-(int(ends_ms) - now_ms) // 1000))


async def renew(redis: Redis, user_id: str, slot: str) -> None:
    key = keys.stream_slots(user_id)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zadd(key, {slot: _now_ms() + LEASE_MS}, xx=True)
        pipe.pexpire(key, LEASE_MS)
        await pipe.execute()


async def release(redis: Redis, user_id: str, slot: str) -> None:
    await redis.zrem(keys.stream_slots(user_id), slot)
