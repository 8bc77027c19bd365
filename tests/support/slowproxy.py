"""A TCP proxy that delays every request chunk: a deliberately slowed backend for tests.

It runs its own event loop in a thread: Litestar's test client drives the app
from a blocking portal, so a proxy on the test's loop would never be served.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from urllib.parse import urlsplit, urlunsplit


class SlowProxy:
    """Forwards 127.0.0.1:<port> to the target; `delay_s` is added before each client chunk."""

    def __init__(self, target_url: str, delay_s: float) -> None:
        parts = urlsplit(target_url)
        self._parts = parts
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 6379
        self.delay_s = delay_s
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> str:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        port = started.result(timeout=10)
        return urlunsplit(self._parts._replace(netloc=f"127.0.0.1:{port}"))

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self._host, self._port)
        a = asyncio.create_task(self._pump(reader, up_writer, slow=True))
        b = asyncio.create_task(self._pump(up_reader, writer, slow=False))
        self._tasks |= {a, b}
        await asyncio.wait({a, b}, return_when=asyncio.FIRST_COMPLETED)
        for task in (a, b):
            task.cancel()
        for w in (writer, up_writer):
            with contextlib.suppress(Exception):
                w.close()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, slow: bool
    ) -> None:
        while data := await reader.read(65536):
            if slow and self.delay_s:
                await asyncio.sleep(self.delay_s)
            writer.write(data)
            await writer.drain()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
