"""A small HTTP/1.1 keep-alive client for `onsale simulate`: asyncio protocols and httptools.

The simulator must cost far less than the server it measures. httpx spent most
of a simulator process in its pool's bookkeeping at 20,000 fans (47 % of a core
in httpcore's pool scans) and queued the fans' payments behind it; this client
is a fixed set of connections, each an `asyncio.Protocol` whose response is
parsed by httptools (llhttp, the parser uvicorn uses): one future and one timer
per request, no per-request objects beyond the bytes sent and received.

It speaks only what the simulator sends: one request at a time per connection,
bodies with Content-Length, responses with Content-Length or chunked. A
connection the server closed (uvicorn drops idle ones after 5 s) is dropped
from the pool; a request that meets one fails with `TransportError`, which the
caller may send again (every request the simulator makes is safe to repeat).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any, cast
from urllib.parse import urlsplit

import httptools
import msgspec


class TransportError(ConnectionError):
    """The request did not get a whole response: connection refused, lost, or timed out."""


class Response:
    """A status code and the body bytes (decoded on demand)."""

    __slots__ = ("body", "status_code")

    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code = status_code
        self.body = body

    def json(self) -> Any:
        return msgspec.json.decode(self.body) if self.body else None


class _Connection(asyncio.Protocol):
    """One keep-alive connection: a request is written, its response parsed as it arrives."""

    __slots__ = ("alive", "chunks", "parser", "transport", "waiter")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[Response] | None = None
        self.chunks: list[bytes] = []
        self.parser = httptools.HttpResponseParser(self)
        self.alive = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(TransportError(f"bad response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        self._fail(TransportError("connection closed by the server"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        body = b"".join(self.chunks)
        self.chunks = []
        status = self.parser.get_status_code()
        if not self.parser.should_keep_alive():
            self.close()
        else:
            self.parser = httptools.HttpResponseParser(self)
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(Response(status, body))

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def send(self, data: bytes, waiter: asyncio.Future[Response]) -> None:
        assert self.transport is not None
        self.waiter = waiter
        self.transport.write(data)

    def close(self) -> None:
        self.alive = False
        if self.transport is not None:
            self.transport.close()


class Pool:
    """At most `size` connections to one host; a request waits for a free one.

    `request` returns the response and its latency from send to the whole
    response (the wait for a free connection is the caller's own queue, not
    the server's, and is not in it)."""

    def __init__(self, base_url: str, size: int, timeout_s: float = 60.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only http:// URLs are supported, not {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        authority = parts.netloc.encode()
        self.host_header = b"Host: " + authority + b"\r\n"
        self.size = size
        self.timeout_s = timeout_s
        self.slots = asyncio.Semaphore(size)
        self.idle: deque[_Connection] = deque()
        self.opened = 0

    async def _connection(self) -> _Connection:
        while self.idle:
            conn = self.idle.pop()  # the most recently used: least likely closed as idle
            if conn.alive:
                return conn
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(_Connection, self.host, self.port)
        except OSError as exc:
            raise TransportError(f"cannot connect: {exc}") from exc
        self.opened += 1
        return conn

    def encode(
        self, method: str, path: str, headers: dict[str, str] | None, body: bytes | None
    ) -> bytes:
        head = [f"{method} {self.prefix}{path} HTTP/1.1\r\n".encode(), self.host_header]
        if headers:
            head.append("".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode())
        if body is not None:
            head.append(b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body))
        head.append(b"\r\n")
        if body is not None:
            head.append(body)
        return b"".join(head)

    async def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        json: Any = None,
    ) -> tuple[Response, float]:
        body = None if json is None else msgspec.json.encode(json)
        data = self.encode(method, path, headers, body)
        async with self.slots:
            conn = await self._connection()
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[Response] = loop.create_future()
            timer = loop.call_later(self.timeout_s, _expire, waiter, conn)
            t0 = time.perf_counter()
            try:
                conn.send(data, waiter)
                response = await waiter
            except BaseException:
                conn.close()  # a half-read response must not meet the next request
                raise
            finally:
                timer.cancel()
            latency = time.perf_counter() - t0
            if conn.alive:
                self.idle.append(conn)
            return response, latency

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()


def _expire(waiter: asyncio.Future[Response], conn: _Connection) -> None:
    if not waiter.done():
        waiter.set_exception(TransportError("timed out"))
    conn.close()
