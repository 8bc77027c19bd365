"""Redis and Postgres probes: readiness answers and the onsale_dependency_up gauge.

The readiness endpoint probes on demand; every API process and every worker
also probes in the background (PROBE_INTERVAL_S), so the gauge, the latency
histogram and the error counter stay current even when nobody calls
/health/ready and an alert fires within a scrape or two of an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg
from redis.asyncio import Redis

from app.core.background import running_beside
from app.core.metrics import DEPENDENCY_ERRORS, DEPENDENCY_UP

log = logging.getLogger("onsale.health")

PROBE_TIMEOUT_S = 2.0
PROBE_INTERVAL_S = 5.0


def _record(dependency: str, exc: BaseException | None) -> str:
    if exc is None:
        DEPENDENCY_UP.labels(dependency).set(1)
        return "ok"
    DEPENDENCY_UP.labels(dependency).set(0)
    DEPENDENCY_ERRORS.labels(dependency, "probe").inc()
    return f"error: {type(exc).__name__}"


async def check_redis(redis: Redis) -> str:
    """'ok' or 'error: <ExceptionName>'; the latency lands in the Redis PING histogram."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await redis.ping()
    except Exception as exc:  # any failure means "not ready"
        return _record("redis", exc)
    return _record("redis", None)


async def check_postgres(pool: asyncpg.Pool) -> str:
    """'ok' or 'error: <ExceptionName>' (a connection failure never reaches the query log)."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await pool.fetchval("SELECT 1")
    except Exception as exc:
        return _record("postgres", exc)
    return _record("postgres", None)


async def probe(redis: Redis, pool: asyncpg.Pool) -> dict[str, str]:
    redis_state, pg_state = await asyncio.gather(check_redis(redis), check_postgres(pool))
    return {"redis": redis_state, "postgres": pg_state}


async def _probe_forever(redis: Redis, pool: asyncpg.Pool, interval_s: float) -> None:
    while True:
        try:
            await probe(redis, pool)
        except Exception:  # never let the probe loop die
            log.exception("dependency probe failed")
        await asyncio.sleep(interval_s)


@contextlib.asynccontextmanager
async def background_probe(
    redis: Redis, pool: asyncpg.Pool, interval_s: float = PROBE_INTERVAL_S
) -> AsyncIterator[None]:
    """Probe both dependencies every interval_s while the block runs."""
    async with running_beside(_probe_forever(redis, pool, interval_s)):
        yield
