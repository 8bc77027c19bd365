"""Health checks, the Prometheus endpoint and an event's live stats."""

from __future__ import annotations

import hmac
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST
from redis.asyncio import Redis

from app.core import health
from app.core.errors import not_found
from app.core.metrics import exposition
from app.core.resources import Resources
from app.core.scripts import Scripts
from app.core.security import Principal
from app.core.settings import Settings
from app.ops import stats
from app.ops.live import LiveCollector, snapshot
from app.ops.schemas import Health, Stats


@get("/health/live", operation_id="healthLive", tags=["ops"], sync_to_thread=False)
def live() -> Health:
    return Health(status="ok")


@get("/health/ready", operation_id="healthReady", tags=["ops"])
async def ready(resources: Resources) -> Response[Health]:
    checks = await health.probe(resources.redis, resources.pool)
    ok = all(v == "ok" for v in checks.values())
    return Response(
        Health(status="ok" if ok else "unavailable", checks=checks),
        status_code=200 if ok else 503,
        headers={} if ok else {"Retry-After": "2"},
    )


def _metrics_allowed(settings: Settings, authorization: str) -> bool:
    """Production needs ONSALE_METRICS_TOKEN (else /metrics is not served); dev is open."""
    if not settings.metrics_token:
        return settings.env == "dev"
    scheme, _, token = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), settings.metrics_token.encode()
    )


@get("/metrics", operation_id="metrics", tags=["ops"], include_in_schema=False)
async def metrics(request: Request[Any, Any, Any], resources: Resources) -> Response[bytes]:
    """This process's (or, in multiprocess mode, all workers') metrics plus live Redis gauges.

    Per-event sales and queue depth are business data: not public in production.
    """
    if not _metrics_allowed(resources.settings, request.headers.get("authorization", "")):
        raise not_found("Page")
    body = exposition(LiveCollector(await snapshot(resources.redis, resources.arq)))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@get("/api/v1/events/{event_id:uuid}/stats", operation_id="getEventStats", tags=["events"])
async def event_stats(
    event_id: UUID, principal: Principal, pool: asyncpg.Pool, redis: Redis, scripts: Scripts
) -> Stats:
    figures, _ = await stats.event_stats(pool, redis, scripts, principal, str(event_id))
    return figures


ROUTES = [live, ready, metrics, event_stats]
