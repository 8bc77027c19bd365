"""Health checks and the Prometheus endpoint."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.state import Resources


class Health(msgspec.Struct):
    status: str
    checks: dict[str, str] = msgspec.field(default_factory=dict)


@get("/health/live", operation_id="healthLive", tags=["ops"], sync_to_thread=False)
def live() -> Health:
    return Health(status="ok")


async def _check_redis(resources: Resources) -> str:
    try:
        await asyncio.wait_for(resources.redis.ping(), timeout=2)
    except Exception as exc:  # any failure means "not ready"
        return f"error: {type(exc).__name__}"
    return "ok"


async def _check_postgres(resources: Resources) -> str:
    try:
        async with asyncio.timeout(2):
            await resources.pool.fetchval("SELECT 1")
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


@get("/health/ready", operation_id="healthReady", tags=["ops"])
async def ready(resources: Resources) -> Response[Health]:
    redis_state, pg_state = await asyncio.gather(
        _check_redis(resources), _check_postgres(resources)
    )
    checks = {"redis": redis_state, "postgres": pg_state}
    ok = all(v == "ok" for v in checks.values())
    return Response(
        Health(status="ok" if ok else "unavailable", checks=checks),
        status_code=200 if ok else 503,
        headers={} if ok else {"Retry-After": "2"},
    )


@get(
    "/metrics", operation_id="metrics", tags=["ops"], include_in_schema=False, sync_to_thread=False
)
def metrics() -> Response[bytes]:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


ROUTES = [live, ready, metrics]
