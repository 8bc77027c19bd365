"""The handles every API process and every worker shares, opened and closed in one place.

The API lifespan and the arq worker startup both build one `Resources` and
pass it down: controllers get it through dependency injection, jobs from
arq's ctx, services as an argument. Nothing below the wiring reads app.state.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from arq.connections import ArqRedis, RedisSettings
from arq.connections import create_pool as create_arq_pool
from redis.asyncio import Redis

from app.core import keys
from app.core.db import create_pool
from app.core.redis import create_redis
from app.core.scripts import Scripts
from app.core.settings import Settings


@dataclass
class Resources:
    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    scripts: Scripts
    # Enqueues jobs; in a worker, arq's own connection (not closed here).
    arq: ArqRedis
    owns_arq: bool = True


async def open_resources(settings: Settings, *, arq: ArqRedis | None = None) -> Resources:
    # min_size=0: the process starts (and keeps serving holds from Redis) even
    # while Postgres is down; readiness says so.
    pool = await create_pool(settings.database_url, size=settings.db_pool_size, min_size=0)
    redis = create_redis(settings.redis_url, pool_size=settings.redis_pool_size)
    owns_arq = arq is None
    if arq is None:
        arq = await create_arq_pool(
            RedisSettings.from_dsn(settings.redis_url), retry=2, default_queue_name=keys.ARQ_QUEUE
        )
    return Resources(settings, pool, redis, Scripts(redis), arq, owns_arq)


async def close_resources(resources: Resources) -> None:
    if resources.owns_arq:
        await resources.arq.aclose()
    await resources.redis.aclose()
    await resources.pool.close()
