"""Helpers of the notification tests: a real HTTP receiver (SMS/push provider, integrator
webhooks), QR images decoded back to text, the worker's notification tick in-process."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any

import msgspec

from devtools.embedded import free_port


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


@dataclass
class Receiver:
    """A local HTTP server that records every POST; answers from `statuses` in turn (then
    200)."""

    url: str
    hits: list[Hit] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]


@contextlib.contextmanager
def http_receiver() -> Iterator[Receiver]:
    port = free_port()
    receiver = Receiver(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.hits.append(Hit(self.path, dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def decode_qr(png: bytes) -> list[str]:
    """The texts of every QR code in a PNG image (zxing-cpp)."""
    import zxingcpp
    from PIL import Image

    image = Image.open(BytesIO(png))
    return [result.text for result in zxingcpp.read_barcodes(image)]


class Worker:
    """The notification cron of a worker, run in the test process (one tick per call)."""

    def __init__(self, resources: Any) -> None:
        self.ctx: dict[str, Any] = {"resources": resources}

    async def tick(self) -> dict[str, int]:
        from workers.notifications import notify_tick

        return await notify_tick(self.ctx)

    async def drain(self, ticks: int = 5) -> None:
        for _ in range(ticks):
            await self.tick()

    async def close(self) -> None:
        from workers.notifications import close_sender

        await close_sender(self.ctx)
