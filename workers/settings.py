"""arq WorkerSettings: one Resources in ctx at startup, every job and cron registered here."""

from __future__ import annotations

import contextlib
import gc
import logging
from typing import Any, ClassVar

from arq.connections import RedisSettings
from arq.cron import CronJob

from app.core import keys
from app.core.health import background_probe
from app.core.resources import close_resources, open_resources
from app.core.settings import Settings
from app.payments.gateway import close_gateways
from workers import instrument, registry

log = logging.getLogger("onsale.worker")


async def startup(ctx: dict[str, Any]) -> None:
    instrument.quiet_cron_lines()
    settings: Settings = ctx.get("settings") or Settings.from_env()
    # The same Resources the API builds; enqueues go through arq's own connection.
    resources = await open_resources(settings, arq=ctx["redis"])
    ctx["settings"] = settings
    ctx["resources"] = resources
    # Made on first use and shared by every job (each job gets a copy of ctx).
    ctx["notifier"] = {}
    ctx["streamer"] = {}
    ctx["shuffles"] = {}  # the pre-queue draws in flight, per event (workers.admission)
    # Dependency probe for the onsale_dependency_* metrics on the worker's metrics port.
    ctx["probe"] = contextlib.AsyncExitStack()
    await ctx["probe"].enter_async_context(background_probe(resources.redis, resources.pool))
    # Everything made so far (modules, settings, pools) lives as long as the worker: out of
    # the collector's full passes, which otherwise walk it again and again while hundreds
    # of jobs allocate (the finalize profile showed such pauses inside arq's job start).
    gc.freeze()
    log.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    from workers.admission import cancel_shuffles, wait_for_shuffles
    from workers.notifications import close_sender
    from workers.stream import close_publisher

    cancel_shuffles(ctx)
    await wait_for_shuffles(ctx)
    await close_sender(ctx)
    await close_publisher(ctx)
    await close_gateways()
    await ctx["probe"].aclose()
    await close_resources(ctx["resources"])


def redis_settings(settings: Settings | None = None) -> RedisSettings:
    settings = settings or Settings.from_env()
    return RedisSettings.from_dsn(settings.jobs_url())


class WorkerSettings:
    # Every job measured and logged the same way (workers/instrument.py).
    functions: ClassVar[list[Any]] = instrument.functions(registry.functions())
    cron_jobs: ClassVar[list[CronJob]] = instrument.cron_jobs(registry.cron_jobs())
    on_startup = startup
    on_shutdown = shutdown
    # redis_settings is passed in by `onsale worker` from the Settings object.
    queue_name = keys.ARQ_QUEUE
    # `onsale worker` passes Settings.worker_max_jobs (ONSALE_WORKER_MAX_JOBS; sizing there).
    max_jobs = 200
    job_timeout = 30  # see workers.registry.JOB_TIMEOUT_S
    max_tries = 10  # > workers.retry.MAX_TRIES: the wrapper, not arq, gives up first
    keep_result = 60
    # Polling fast keeps webhook-to-confirmed lag low.
    poll_delay = 0.05
    health_check_interval = 10
