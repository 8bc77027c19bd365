"""Suite-wide fixtures: real Redis and Postgres, a fresh database and flushed Redis per test.

By default the suite starts embedded Valkey and PostgreSQL once per run (free
ports, temporary folders). ONSALE_TEST_REDIS_URL and ONSALE_TEST_DATABASE_URL
point it at existing servers instead.
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
from app.core.db import with_database
from app.core.migrate import migrate
from app.core.resources import Resources, close_resources, open_resources
from app.core.settings import Settings
from devtools.embedded import EmbeddedPostgres, EmbeddedRedis, LocalStripe, register_webhook
from tests.support.api import Api

TEST_SECRET = "test-secret-key-for-the-onsale-suite-0123456789abcdef"
WEBHOOK_SECRET = "whsec_test_onsale_suite"


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="onsale-test-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def redis_server_url(tmp_root: Path) -> Iterator[str]:
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
def redis_url(redis_server_url: str) -> str:
    """The test Redis, flushed before the test."""
    client = redis_sync.Redis.from_url(redis_server_url)
    client.flushdb()
    client.close()
    return redis_server_url


@pytest.fixture(scope="session")
def stripe_base(tmp_root: Path) -> Iterator[str]:
    """A localstripe process for the whole run."""
    server = LocalStripe(log_path=tmp_root / "localstripe.log")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def settings(redis_url: str, database_url: str) -> Settings:
    return Settings(
        redis_url=redis_url,
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
def app(settings: Settings) -> Litestar:
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
