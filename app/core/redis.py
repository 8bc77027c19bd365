"""The redis-py asyncio client used by the API and the workers."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.connection import BlockingConnectionPool


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
    return Redis(connection_pool=pool)
