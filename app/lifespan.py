"""Opens and closes the resources an API process needs (app.core.resources)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from app.auth.revocations import Revocations
from app.core.background import running_beside
from app.core.health import background_probe
from app.core.ratelimit import RateLimiter, parse_overrides
from app.core.resources import Resources, close_resources, open_resources
from app.core.settings import Settings
from app.payments.gateway import close_gateways
from waiting_room import signals

log = logging.getLogger("onsale.lifespan")


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    resources = await open_resources(settings)
    app.state.resources = resources
    app.state.limiter = RateLimiter(
        resources.redis,
        settings.redis_url,
        parse_overrides(settings.rate_limits),
        cluster=settings.cluster,
    )
    try:
        from app.auth.service import ensure_bootstrap_admin

        await ensure_bootstrap_admin(resources.pool, settings)
    except Exception:  # a down Postgres must not keep the API from starting
        log.exception("bootstrap admin not ensured")
    try:
        from app.auth.totp_sealing import seal_plain_secrets

        # The data step of 0008_totp_sealed: SQL cannot seal, the key is only here.
        await seal_plain_secrets(resources.pool, settings)
    except Exception:  # a row missed here is sealed at its owner's next sign-in
        log.exception("plain TOTP secrets not sealed at start")
    try:
        yield
    finally:
        await close_gateways()
        await close_resources(resources)


@asynccontextmanager
async def probe_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Probes Redis and Postgres in the background (the onsale_dependency_* metrics)."""
    resources: Resources = app.state.resources
    async with background_probe(resources.redis, resources.pool):
        yield


@asynccontextmanager
async def signals_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Flushes the shop signals closed-loop admission steers on (waiting_room.signals)."""
    resources: Resources = app.state.resources
    async with running_beside(signals.flush_forever(resources.redis)):
        yield
    # The last second's signals go out before the connection closes, not to whichever
    # app next flushes this process's buffer (another app's Redis, in a test run).
    await signals.flush(resources.redis)


@asynccontextmanager
async def revocations_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Mirrors the ended sign-in sessions into this process (app.auth.revocations)."""
    resources: Resources = app.state.resources
    settings: Settings = app.state.settings
    mirror = Revocations(resources.redis, keep_s=settings.access_token_ttl_s + 60)
    task = asyncio.create_task(mirror.run())
    try:
        yield
    finally:
        mirror.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
