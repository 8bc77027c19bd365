"""arq WorkerSettings: resources in ctx at startup, every job and cron registered here."""

from __future__ import annotations

import contextlib
import logging
from typing import Any, ClassVar

from arq.connections import RedisSettings
from arq.cron import CronJob

from app.core.db import create_pool
from app.core.health import background_probe
from app.core.redis import create_redis
from app.core.scripts import Scripts
from app.core.settings import Settings
from workers import instrument, registry

log = logging.getLogger("onsale.worker")


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get("settings") or Settings.from_env()
    ctx["settings"] = settings
    ctx["pool"] = await create_pool(settings.database_url, size=settings.db_pool_size, min_size=0)
    ctx["redis"] = create_redis(settings.redis_url, pool_size=settings.redis_pool_size)
    ctx["scripts"] = Scripts(ctx["redis"])
    # Dependency probe for the onsale_dependency_* metrics on the worker's metrics port.
    ctx["probe"] = contextlib.AsyncExitStack()
    await ctx["probe"].enter_async_context(background_probe(ctx["redis"], ctx["pool"]))
    log.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    from workers.admission import cancel_shuffles, wait_for_shuffles

    cancel_shuffles(ctx)
    await wait_for_shuffles(ctx)
    await ctx["probe"].aclose()
    await ctx["redis"].aclose()
    await ctx["pool"].close()


def redis_settings(settings: Settings | None = None) -> RedisSettings:
    settings = settings or Settings.from_env()
    return RedisSettings.from_dsn(settings.redis_url)


class WorkerSettings:
    # Every job measured and logged the same way (workers/instrument.py).
    functions: ClassVar[list[Any]] = instrument.functions(registry.functions())
    cron_jobs: ClassVar[list[CronJob]] = instrument.cron_jobs(registry.cron_jobs())
    on_startup = startup
    on_shutdown = shutdown
    # redis_settings is passed in by `onsale worker` from the Settings object.
    queue_name = "arq:queue"
    max_jobs = 50
    job_timeout = 30  # see workers.registry.JOB_TIMEOUT_S
    max_tries = 10  # > workers.retry.MAX_TRIES: the wrapper, not arq, gives up first
    keep_result = 60
    # Polling fast keeps webhook-to-confirmed lag low.
    poll_delay = 0.05
    health_check_interval = 10
