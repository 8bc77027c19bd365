"""Suite-wide fixtures: real Redis and Postgres, a fresh database and flushed Redis per test.

By default the suite starts embedded Valkey and PostgreSQL once per run (free
ports, temporary folders). ONSALE_TEST_REDIS_URL and ONSALE_TEST_DATABASE_URL
point it at existing servers instead. `--redis-cluster` (or
ONSALE_TEST_REDIS_CLUSTER=1) runs the same tests on a local three-master Redis
Cluster with replicas (devtools/cluster.py), arq on its own plain Redis;
the run then checks that its events were spread over all three masters.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import redis as redis_sync
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.auth import totp
from app.core.db import with_database
from app.core.migrate import migrate
from app.core.resources import Resources, close_resources, open_resources
from app.core.settings import Settings
from app.payments.gateway import close_gateways
from devtools.cluster import LocalCluster
from devtools.embedded import (
    EmbeddedPostgres,
    EmbeddedRabbitMQ,
    EmbeddedRedis,
    LocalStripe,
    register_webhook,
)
from tests.support.api import Api
from tests.support.totp import StepClock

TEST_SECRET = "test-secret-key-for-the-onsale-suite-0123456789abcdef"
WEBHOOK_SECRET = "whsec_test_onsale_suite"


@pytest.fixture(scope="session", autouse=True)
async def stripe_sessions_closed() -> AsyncIterator[None]:
    """In-process tests use the Stripe gateway without the API's lifespan or the worker's
    shutdown: close its HTTP sessions at the end, as those do."""
    yield
    await close_gateways()


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="onsale-test-") as folder:
        yield Path(folder)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--redis-cluster",
        action="store_true",
        default=os.environ.get("ONSALE_TEST_REDIS_CLUSTER", "") in ("1", "true", "yes"),
        help="run against a local three-master Redis Cluster (with replicas)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cluster: needs the Redis Cluster (--redis-cluster)")
    config.addinivalue_line("markers", "single: needs a single Redis (not --redis-cluster)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_cluster = config.getoption("--redis-cluster")
    for item in items:
        if "cluster" in item.keywords and not on_cluster:
            item.add_marker(pytest.mark.skip(reason="runs with --redis-cluster"))
        if "single" in item.keywords and on_cluster:
            item.add_marker(pytest.mark.skip(reason="runs without --redis-cluster"))


class MasterSpread:
    """Which cluster masters held keys at the end of some test (the spread check)."""

    def __init__(self) -> None:
        self.used: set[int] = set()
        self.tests = 0


@pytest.fixture(scope="session")
def spread() -> MasterSpread:
    return MasterSpread()


@pytest.fixture(scope="session")
def cluster(
    request: pytest.FixtureRequest, tmp_root: Path, spread: MasterSpread
) -> Iterator[LocalCluster | None]:
    """The local cluster under --redis-cluster, else None."""
    if not request.config.getoption("--redis-cluster"):
        yield None
        return
    local = LocalCluster(tmp_root / "cluster")
    try:
        local.start()
        yield local
        # The events (random ids, so random slots) of a run of 30+ tests must
        # land on every master (all on two by chance: 3 x (2/3)^30, ~1e-5),
        # else the suite would not have tested the spread.
        if spread.tests >= 30:
            assert len(spread.used) >= 3, f"events used only masters {spread.used}"
    finally:
        local.stop()


@pytest.fixture(scope="session")
def jobs_redis_url(tmp_root: Path, cluster: LocalCluster | None) -> Iterator[str]:
    """arq's own plain Redis beside the cluster; "" (the same Redis) otherwise."""
    if cluster is None:
        yield ""
        return
    server = EmbeddedRedis(tmp_root / "valkey-jobs", persist=False)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server_url(tmp_root: Path, cluster: LocalCluster | None) -> Iterator[str]:
    if cluster is not None:
        yield cluster.url
        return
    url = os.environ.get("ONSALE_TEST_REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis(tmp_root / "valkey", persist=False)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server_url(tmp_root: Path) -> Iterator[str]:
    """URL of a database on the server; tests get their own databases beside it."""
    url = os.environ.get("ONSALE_TEST_DATABASE_URL")
    if url:
        yield url
        return
    server = EmbeddedPostgres(tmp_root / "postgres")
    try:
        yield server.start("postgres")
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def template_database(postgres_server_url: str) -> AsyncIterator[str]:
    """A migrated database built once per run; each test clones it."""
    name = f"onsale_tpl_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(postgres_server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    conn = await asyncpg.connect(with_database(postgres_server_url, name))
    try:
        await migrate(conn)
    finally:
        await conn.close()
    try:
        yield name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def clone_database(postgres_server_url: str, template: str) -> str:
    name = f"onsale_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return name


async def drop_database(postgres_server_url: str, name: str) -> None:
    admin = await asyncpg.connect(postgres_server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def database_url(postgres_server_url: str, template_database: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test only."""
    name = await clone_database(postgres_server_url, template_database)
    try:
        yield with_database(postgres_server_url, name)
    finally:
        await drop_database(postgres_server_url, name)


@pytest.fixture
def redis_url(
    redis_server_url: str,
    jobs_redis_url: str,
    cluster: LocalCluster | None,
    spread: MasterSpread,
) -> Iterator[str]:
    """The test Redis (and arq's, when apart), flushed before the test."""
    if cluster is not None:
        cluster.flush()
    else:
        client = redis_sync.Redis.from_url(redis_server_url)
        client.flushdb()
        client.close()
    if jobs_redis_url:
        client = redis_sync.Redis.from_url(jobs_redis_url)
        client.flushdb()
        client.close()
    yield redis_server_url
    if cluster is not None:
        counts = cluster.key_counts()
        if any(counts.values()):
            spread.tests += 1
            spread.used |= {port for port, n in counts.items() if n}


@pytest.fixture(scope="session")
def stripe_base(tmp_root: Path) -> Iterator[str]:
    """A localstripe process for the whole run."""
    server = LocalStripe(log_path=tmp_root / "localstripe.log")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def rabbitmq(tmp_root: Path) -> Iterator[EmbeddedRabbitMQ]:
    """A RabbitMQ node of this run's own (free ports, its own node name and data), started
    on first use; Debian's rabbitmq-server is installed when missing."""
    from devtools import debian

    if EmbeddedRabbitMQ.binary() is None:
        debian.ensure("rabbitmq-server", "rabbitmq-server", *debian.RABBITMQ_ALSO)
    server = EmbeddedRabbitMQ(tmp_root / "rabbitmq")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def amqp_url(rabbitmq: EmbeddedRabbitMQ) -> str:
    return f"amqp://guest:guest@127.0.0.1:{rabbitmq.port}/"


@pytest.fixture
def settings(redis_url: str, jobs_redis_url: str, database_url: str) -> Settings:
    return Settings(
        redis_url=redis_url,
        jobs_redis_url=jobs_redis_url,
        database_url=database_url,
        secret_key=TEST_SECRET,
        stripe_webhook_secret=WEBHOOK_SECRET,
        db_pool_size=5,
        redis_pool_size=32,
        log_level="WARNING",
    )


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    """The handles a worker's jobs get (app.core.resources), for calling services directly."""
    opened = await open_resources(settings)
    try:
        yield opened
    finally:
        await close_resources(opened)


@pytest.fixture
def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Litestar:
    """The API in this process, with a TOTP clock that tests move instead of wait for."""
    monkeypatch.setattr(totp, "clock", StepClock())
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
async def api(client: AsyncTestClient[Litestar], database_url: str) -> Api:
    """High-level helpers (users with roles, events) over the in-process app."""
    return Api(client, database_url)


__all__ = ["WEBHOOK_SECRET", "register_webhook"]
