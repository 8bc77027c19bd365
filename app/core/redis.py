"""The redis-py asyncio client of the API and the workers (single or Cluster), timed per command.

`create_redis` picks the client by configuration: a plain `Redis` with a
blocking pool, or a `RedisCluster` (URL scheme `redis+cluster://` or
`cluster=True`). Every key of an event carries its hash tag (app.core.keys),
so each script and each pipeline entry lands on the node owning that event's
slot; a non-transactional pipeline is split per node by redis-py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from hiredis import pack_command as hiredis_pack
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.asyncio.connection import BlockingConnectionPool, Connection
from redis.exceptions import NoScriptError, ResponseError

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


class PackedConnection(Connection):
    """redis-py's asyncio connection, packing commands in C (hiredis) as its sync client does.

    redis-py 5's asyncio client packs every argument in Python (an encode, a join
    and a length per argument): ~20 µs of the hold's 19-argument EVALSHA, the
    largest single cost redis-py adds to the hot path. hiredis builds the same
    RESP bytes (str as UTF-8, int and float as their repr; `redis[hiredis]` in
    pyproject, so it is always there); anything it refuses
    (bool, None, a memoryview) goes to redis-py's own packer, which raises or
    packs exactly as before.
    """

    def pack_command(self, *args: Any) -> list[bytes]:
        first = args[0]
        if isinstance(first, str):
            if " " in first:
                args = (*first.encode().split(), *args[1:])
        elif isinstance(first, bytes) and b" " in first:
            args = (*first.split(), *args[1:])
        try:
            return [hiredis_pack(args)]
        except TypeError:
            return super().pack_command(*args)


async def send_batch(redis: Redis, commands: list[tuple[Any, ...]]) -> list[Any] | None:
    """Send `commands` on one pooled connection of a plain Redis client in one write and
    read their replies: a reply that is an error comes back as its exception object.

    What a non-transactional redis-py pipeline does, without building one per batch
    (its command stack, retry wrapper and per-reply callbacks cost the hold batcher
    ~10 µs per hold). None for a cluster client: callers use a pipeline there, which
    splits the batch per node. Timed as one "PIPELINE" like any pipeline.
    """
    if not isinstance(redis, InstrumentedRedis):
        return None
    pool = redis.connection_pool
    start, failed = time.perf_counter(), True
    try:
        connection = await pool.get_connection("PIPELINE")
        try:
            await connection.send_packed_command(connection.pack_commands(commands))
            replies: list[Any] = []
            for _ in commands:
                try:
                    replies.append(await connection.read_response())
                except ResponseError as exc:
                    replies.append(exc)
        except BaseException:
            # Replies may be left unread (a timeout, a cancellation): never reuse it.
            await connection.disconnect()
            raise
        finally:
            await pool.release(connection)
        failed = False
        return replies
    finally:
        _observe("PIPELINE", start, failed)


# Set while a task is inside a gated cluster call: the redirects and retries
# redis-py makes from there must not wait for the gate a second time.
_INSIDE_GATE: ContextVar[bool] = ContextVar("onsale_redis_gate", default=False)


class InstrumentedRedisCluster(RedisCluster):
    """RedisCluster timed like InstrumentedRedis, with a blocking bound on calls in flight.

    redis-py's cluster client fails a command at once ("Too many connections")
    when a node's pool is exhausted, where the single client's blocking pool
    waits. The gate restores the waiting: at most `max_in_flight` commands or
    pipelines at a time, so no node ever needs more connections than that.
    """

    def __init__(self, *args: Any, max_in_flight: int, **kwargs: Any) -> None:
        super().__init__(*args, max_connections=max_in_flight, **kwargs)
        self._gate = asyncio.Semaphore(max_in_flight)

    @contextlib.asynccontextmanager
    async def gated(self) -> AsyncIterator[None]:
        if _INSIDE_GATE.get():
            yield
            return
        async with self._gate:
            token = _INSIDE_GATE.set(True)
            try:
                yield
            finally:
                _INSIDE_GATE.reset(token)

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        operation = str(args[0]).upper() if args else "UNKNOWN"
        async with self.gated():
            start, failed = time.perf_counter(), True
            try:
                result = await super().execute_command(*args, **options)
                failed = False
                return result
            except NoScriptError:
                failed = False
                raise
            finally:
                _observe(operation, start, failed)

    def pipeline(
        self, transaction: Any | None = None, shard_hint: Any | None = None
    ) -> ClusterPipeline:
        if transaction:
            raise ValueError("a cluster pipeline cannot be a transaction")
        # redis-py's typing marks `connection_pool` abstract; cluster clients have none.
        return GatedClusterPipeline(self)  # type: ignore[abstract]


class GatedClusterPipeline(ClusterPipeline):
    """A cluster pipeline (split per node by redis-py) timed as one call, through the gate."""

    def __init__(self, client: InstrumentedRedisCluster) -> None:
        super().__init__(client)
        self._gated_client = client

    async def execute(
        self, raise_on_error: bool = True, allow_redirections: bool = True
    ) -> list[Any]:
        async with self._gated_client.gated():
            start, failed = time.perf_counter(), True
            try:
                result = await super().execute(raise_on_error, allow_redirections)
                failed = False
                return result
            finally:
                _observe("PIPELINE", start, failed)


# Handlers and services are typed `Redis`, and Litestar checks each injected
# dependency's type at run time: the cluster client, which answers every
# command Onsale sends, counts as one (a virtual subclass, nothing inherited).
Redis.register(InstrumentedRedisCluster)  # type: ignore[type-abstract]


def cluster_nodes(url: str) -> list[tuple[str, int]]:
    """Seed nodes of a cluster URL: redis+cluster://h1:p1,h2:p2 (or a plain redis:// URL)."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    out: list[tuple[str, int]] = []
    for part in netloc.split(","):
        host, _, port = part.strip().rpartition(":")
        if not host:
            host, port = part.strip(), ""
        out.append((host.strip("[]") or "127.0.0.1", int(port or 6379)))
    return out


def create_cluster(
    url: str, *, pool_size: int = 64, connect_timeout_s: float = 2.0
) -> RedisCluster:
    """A cluster client that follows MOVED/ASK and refreshes its slot map after a failover."""
    parts = urlsplit(url)
    client: RedisCluster = InstrumentedRedisCluster(  # type: ignore[abstract]
        startup_nodes=[ClusterNode(host, port) for host, port in cluster_nodes(url)],
        username=parts.username,
        password=parts.password,
        ssl=parts.scheme.startswith("rediss"),
        decode_responses=True,
        max_in_flight=pool_size,
        socket_connect_timeout=connect_timeout_s,
        socket_timeout=5,
        health_check_interval=30,
        # A failover takes a few seconds: retry through it instead of failing the hold.
        cluster_error_retry_attempts=6,
        reinitialize_steps=1,
    )
    return client


def create_redis(
    url: str, *, pool_size: int = 64, cluster: bool = False, connect_timeout_s: float = 2.0
) -> Redis:
    """A client for this URL. `connect_timeout_s`: how long a new connection may take before
    the request fails (a down Redis answers 503 quickly; the test suite's own clients allow
    more, since a test process on a loaded machine can wait longer than 2 s for a core)."""
    if cluster or url.startswith(("redis+cluster://", "rediss+cluster://")):
        # RedisCluster offers every command Onsale sends (one slot per command,
        # scripts, non-transactional pipelines): the callers' `Redis` type
        # stands for both clients.
        return create_cluster(  # type: ignore[return-value]
            url, pool_size=pool_size, connect_timeout_s=connect_timeout_s
        )
    # A blocking pool makes bursts wait briefly for a connection instead of
    # failing with "too many connections".
    # Only for plain TCP: rediss:// and unix:// keep redis-py's own connection classes.
    packed: dict[str, Any] = (
        {"connection_class": PackedConnection} if url.startswith("redis://") else {}
    )
    pool = BlockingConnectionPool.from_url(
        url,
        **packed,
        max_connections=pool_size,
        timeout=5,
        decode_responses=True,
        socket_connect_timeout=connect_timeout_s,
        socket_timeout=5,
        health_check_interval=30,
    )
    return InstrumentedRedis(connection_pool=pool)
