"""Opens and closes the pools and scripts an API process needs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq.connections import RedisSettings
from arq.connections import create_pool as create_arq_pool
from litestar import Litestar

from app.core.db import create_pool
from app.core.health import background_probe
from app.core.ratelimit import RateLimiter, parse_overrides
from app.core.redis import create_redis
from app.core.scripts import Scripts
from app.core.settings import Settings
from app.state import Resources

log = logging.getLogger("onsale.lifespan")


async def open_resources(settings: Settings) -> Resources:
    # min_size=0: the API starts (and keeps serving holds from Redis) even
    # while Postgres is down; readiness says so.
    pool = await create_pool(settings.database_url, size=settings.db_pool_size, min_size=0)
    redis = create_redis(settings.redis_url, pool_size=settings.redis_pool_size)
    scripts = Scripts(redis)
    arq = await create_arq_pool(
        RedisSettings.from_dsn(settings.redis_url), retry=2, default_queue_name="arq:queue"
    )
    return Resources(settings=settings, pool=pool, redis=redis, scripts=scripts, arq=arq)


async def close_resources(resources: Resources) -> None:
    await resources.arq.aclose()
    await resources.redis.aclose()
    await resources.pool.close()


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    resources = await open_resources(settings)
    app.state.resources = resources
    app.state.limiter = RateLimiter(
        resources.redis, settings.redis_url, parse_overrides(settings.rate_limits)
    )
    try:
        from app.auth.service import ensure_bootstrap_admin

        await ensure_bootstrap_admin(resources.pool, settings)
    except Exception:  # a down Postgres must not keep the API from starting
        log.exception("bootstrap admin not ensured")
    try:
        yield
    finally:
        await close_resources(resources)


@asynccontextmanager
async def probe_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Probes Redis and Postgres in the background (the onsale_dependency_* metrics)."""
    resources: Resources = app.state.resources
    async with background_probe(resources.redis, resources.pool):
        yield
