"""Fault proxies for the chaos tests: a TCP proxy that can refuse connections (in front of
Postgres) and an HTTP proxy that can fail chosen Stripe calls with 5xx (in front of
localstripe). Each runs its own event loop in a thread, so tests and child processes
see real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import aiohttp
from aiohttp import web

from devtools.embedded import free_port


class _LoopThread:
    """An event loop running in a daemon thread; `call` runs a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class TcpFaultProxy:
    """127.0.0.1:<port> -> target (host and port, or a unix socket path). `refuse()` closes
    the listening socket and every open connection (clients get ECONNREFUSED, like a
    Postgres that is down); `restore()` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._lt = _LoopThread()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    def start(self) -> TcpFaultProxy:
        self._lt.call(self._listen())
        return self

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            if self.target[0].startswith("/"):
                up_reader, up_writer = await asyncio.open_unix_connection(self.target[0])
            else:
                up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    async def _refuse(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()

    def refuse(self) -> None:
        self._lt.call(self._refuse())

    def restore(self) -> None:
        self._lt.call(self._listen())

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._lt.call(self._refuse())
        self._lt.close()


class HttpFaultProxy:
    """An HTTP reverse proxy to `target` that answers 500 (a Stripe api_error) to requests
    whose path matches `fail_pattern` while failing is on; counts what it failed."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.port = free_port()
        self.fail_pattern: re.Pattern[str] | None = None
        self.delay_s = 0.0  # added to forwarded requests (a slow Stripe)...
        self.delay_pattern: re.Pattern[str] | None = None  # ...whose path matches, if set
        self.delayed = 0
        self.failed = 0
        self.forwarded = 0
        self._lt = _LoopThread()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HttpFaultProxy:
        self._lt.call(self._start())
        return self

    async def _start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        pattern = self.fail_pattern
        if pattern is not None and pattern.search(request.path):
            self.failed += 1
            return web.json_response(
                {"error": {"type": "api_error", "message": "injected fault: Stripe is down"}},
                status=500,
            )
        assert self._session is not None
        if self.delay_s and (self.delay_pattern is None or self.delay_pattern.search(request.path)):
            self.delayed += 1
            await asyncio.sleep(self.delay_s)
        body = await request.read()
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        async with self._session.request(
            request.method, self.target + request.path_qs, data=body, headers=headers
        ) as upstream:
            payload = await upstream.read()
            self.forwarded += 1
            out_headers = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "connection")
            }
            return web.Response(body=payload, status=upstream.status, headers=out_headers)

    def fail(self, pattern: str | None) -> None:
        """Fail requests whose path matches `pattern` (None: pass everything)."""
        self.fail_pattern = re.compile(pattern) if pattern else None

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._lt.call(self._stop())
        self._lt.close()


def postgres_target(url: str) -> tuple[str, int]:
    """Where a Postgres URL connects: (host, port), or (unix socket path, 0)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    port = parts.port or int(query.get("port", ["5432"])[0])
    host = parts.hostname or query.get("host", ["/tmp"])[0]
    if host.startswith("/"):
        return f"{host}/.s.PGSQL.{port}", 0
    return host, port


def through(url: str, port: int) -> str:
    """The same Postgres URL (user, password, database) over TCP to 127.0.0.1:port."""
    parts = urlsplit(url)
    auth = parts.username or "postgres"
    if parts.password:
        auth += f":{parts.password}"
    return urlunsplit((parts.scheme, f"{auth}@127.0.0.1:{port}", parts.path, "", ""))


@contextlib.contextmanager
def postgres_fault_proxy(url: str) -> Iterator[tuple[TcpFaultProxy, str]]:
    """A fault proxy in front of the Postgres of `url`, and the URL that goes through it."""
    proxy = TcpFaultProxy(*postgres_target(url)).start()
    try:
        yield proxy, through(url, proxy.port)
    finally:
        proxy.stop()


@contextlib.contextmanager
def http_fault_proxy(target: str) -> Iterator[HttpFaultProxy]:
    proxy = HttpFaultProxy(target).start()
    try:
        yield proxy
    finally:
        proxy.stop()
