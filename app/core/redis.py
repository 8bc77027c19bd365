"""The redis-py asyncio client used by the API and the workers, timed per command."""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import BlockingConnectionPool
from redis.exceptions import NoScriptError

from app.core.metrics import DEPENDENCY_ERRORS, DEPENDENCY_LATENCY

# Label children by command: .labels() hashes and locks on every call.
_LATENCY: dict[str, Any] = {}


def _observe(operation: str, start: float, failed: bool) -> None:
    latency = _LATENCY.get(operation)
    if latency is None:
        latency = _LATENCY[operation] = DEPENDENCY_LATENCY.labels("redis", operation)
    latency.observe(time.perf_counter() - start)
    if failed:
        DEPENDENCY_ERRORS.labels("redis", operation).inc()


class InstrumentedPipeline(Pipeline):
    """A pipeline timed as one call (operation "PIPELINE")."""

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        start, failed = time.perf_counter(), True
        try:
            result = await super().execute(raise_on_error)
            failed = False
            return result
        finally:
            _observe("PIPELINE", start, failed)


class InstrumentedRedis(Redis):
    """Each command's latency and failures land in onsale_dependency_* (label: command name)."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        operation = str(args[0]).upper() if args else "UNKNOWN"
        start, failed = time.perf_counter(), True
        try:
            result = await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
            failed = False
            return result
        except NoScriptError:
            failed = False  # redis-py loads the script and retries: not a failure
            raise
        finally:
            _observe(operation, start, failed)

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return InstrumentedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )


def create_redis(url: str, *, pool_size: int = 64) -> Redis:
    # A blocking pool makes bursts wait briefly for a connection instead of
    # failing with "too many connections".
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=pool_size,
        timeout=5,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=30,
    )
    return InstrumentedRedis(connection_pool=pool)
