"""asyncpg pool creation and database-URL helpers."""

from __future__ import annotations

import json
from typing import Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.connection import LoggedQuery

from app.core.metrics import DEPENDENCY_ERRORS, DEPENDENCY_LATENCY

# A pool or a connection (inside a transaction): repos accept either.
Conn: TypeAlias = "asyncpg.Connection | asyncpg.Pool"


# SQL verbs used as the "operation" label of the Postgres call metrics (bounded).
_SQL_VERBS = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT"}
)


def _record_query(query: LoggedQuery) -> None:
    verb = query.query.lstrip().split(None, 1)[0].upper() if query.query.strip() else ""
    operation = verb if verb in _SQL_VERBS else "OTHER"
    DEPENDENCY_LATENCY.labels("postgres", operation).observe(query.elapsed)
    if query.exception is not None:
        DEPENDENCY_ERRORS.labels("postgres", operation).inc()


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    conn.add_query_logger(_record_query)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """A released connection's reset: nothing beyond asyncpg's own (an open transaction is
    rolled back, listeners dropped). asyncpg's default runs `SELECT pg_advisory_unlock_all();
    CLOSE ALL; UNLISTEN *; RESET ALL` on every release: a round trip and four statements for
    Postgres per pool query, on the finalize and webhook paths one or more per order. Onsale
    never leaves session state on a pooled connection: no session SET, LISTEN or advisory
    lock (the migrations take theirs on a connection of their own), cursors only inside
    transactions. Code that needs session state uses a connection of its own, like them."""


async def create_pool(
    url: str, *, size: int = 10, min_size: int = 1, **kwargs: Any
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=min(min_size, size),
        max_size=size,
        init=_init_connection,
        reset=_keep_session,
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
