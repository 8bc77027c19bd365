"""asyncpg pool creation and database-URL helpers."""

from __future__ import annotations

import json
from typing import Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import asyncpg

# A pool or a connection (inside a transaction): repos accept either.
Conn: TypeAlias = "asyncpg.Connection | asyncpg.Pool"


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(
    url: str, *, size: int = 10, min_size: int = 1, **kwargs: Any
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=min(min_size, size),
        max_size=size,
        init=_init_connection,
        command_timeout=30,
        **kwargs,
    )
    assert pool is not None
    return pool


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"
