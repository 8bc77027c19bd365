"""Which Redis the configuration names: a single one or a cluster, and arq's own."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from app.core.redis import InstrumentedRedis, InstrumentedRedisCluster, cluster_nodes, create_redis
from app.core.settings import Settings


def test_a_cluster_url_or_the_switch_selects_the_cluster_client() -> None:
    by_scheme = Settings.from_env({"ONSALE_REDIS_URL": "redis+cluster://a:7000,b:7001"})
    assert by_scheme.cluster
    by_switch = Settings.from_env(
        {"ONSALE_REDIS_URL": "redis://a:7000", "ONSALE_REDIS_CLUSTER": "1"}
    )
    assert by_switch.cluster
    assert not Settings.from_env({"ONSALE_REDIS_URL": "redis://a:6379/0"}).cluster
    client = create_redis(by_scheme.redis_url)
    assert isinstance(client, InstrumentedRedisCluster)
    # Handlers typed `Redis` (and Litestar's dependency check) accept it.
    assert isinstance(client, Redis)
    assert isinstance(create_redis("redis://a:6379/0"), InstrumentedRedis)
    assert isinstance(create_redis("redis://a:7000", cluster=True), InstrumentedRedisCluster)


def test_seed_nodes_of_a_cluster_url() -> None:
    assert cluster_nodes("redis+cluster://a:7000,b:7001, c:7002") == [
        ("a", 7000),
        ("b", 7001),
        ("c", 7002),
    ]
    assert cluster_nodes("redis+cluster://user:pw@a:7000,b") == [("a", 7000), ("b", 6379)]


def test_arq_gets_its_own_redis_and_must_have_one_beside_a_cluster() -> None:
    single = Settings.from_env({"ONSALE_REDIS_URL": "redis://a:6379/0"})
    assert single.jobs_url() == "redis://a:6379/0"
    apart = Settings.from_env(
        {"ONSALE_REDIS_URL": "redis://a:6379/0", "ONSALE_JOBS_REDIS_URL": "redis://j:6379/1"}
    )
    assert apart.jobs_url() == "redis://j:6379/1"
    cluster = Settings.from_env({"ONSALE_REDIS_URL": "redis+cluster://a:7000"})
    with pytest.raises(ValueError, match="ONSALE_JOBS_REDIS_URL"):
        cluster.jobs_url()
    # What a child process gets back (api_process, worker_process) means the same.
    again = Settings.from_env(cluster.as_env())
    assert again.cluster
    assert again.jobs_redis_url == ""
