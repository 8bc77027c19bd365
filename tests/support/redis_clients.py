"""Test-side Redis clients that follow the configuration: plain Redis or Redis Cluster."""

from __future__ import annotations

from typing import Any

import redis as redis_sync
from redis.asyncio import Redis
from redis.cluster import ClusterNode, RedisCluster

from app.core.redis import cluster_nodes, create_redis
from app.core.settings import CLUSTER_SCHEMES


def connect(url: str) -> Redis:
    """An asyncio client (decoded replies) for this URL, a cluster one for redis+cluster://.
    A new connection may take 10 s: the suite's processes share two cores with its servers,
    and a test that checks Redis' answers does not time the connect (a connect timed out
    after 2 s once in a loaded run)."""
    return create_redis(url, pool_size=16, connect_timeout_s=10)


def connect_sync(url: str, *, decode: bool = True) -> Any:
    """A blocking client for this URL (RedisCluster for redis+cluster://)."""
    if url.startswith(CLUSTER_SCHEMES):
        nodes = [ClusterNode(host, port) for host, port in cluster_nodes(url)]
        return RedisCluster(startup_nodes=nodes, decode_responses=decode)
    return redis_sync.Redis.from_url(url, decode_responses=decode)
