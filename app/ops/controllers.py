"""Health checks and the Prometheus endpoint."""

from __future__ import annotations

import hmac
from typing import Any

import msgspec
from litestar import Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST

from app.core import health
from app.core.errors import not_found
from app.core.metrics import exposition
from app.core.settings import Settings
from app.ops.live import LiveCollector, snapshot
from app.state import Resources


class Health(msgspec.Struct):
    status: str
    checks: dict[str, str] = msgspec.field(default_factory=dict)


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
    body = exposition(LiveCollector(await snapshot(resources.redis)))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


ROUTES = [live, ready, metrics]
