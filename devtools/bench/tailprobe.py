"""Where the hold path's tail comes from: an instrumented API for the `tail` scenario.

`create()` is the API (app.asgi.app_from_env) with, in each uvicorn worker:

- every garbage collection timed (gc.callbacks), by generation;
- the event loop's stalls: a task that asks to wake every 2 ms records how
  late it woke (a late wake-up is the loop busy with something else: a
  burst of requests, a GC pause, or the CPU taken by another process);
- every request's time from the ASGI call to the response's first byte;
- the hold script batcher: items per pipeline, each pipeline's round trip
  and how long items waited before their pipeline was sent.

Each worker rewrites `$ONSALE_TAILPROBE_DIR/<pid>.json` once a second with
what it saw (timestamped, epoch seconds), so the bench reads the window of
its wrk run afterwards. Bench-only: the normal API has none of this.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar

from app.asgi import app_from_env
from app.core import batcher

STALL_TICK_S = 0.002
# Only late wake-ups beyond this are kept one by one (the rest are counted).
STALL_KEEP_MS = 2.0


class Probe:
    def __init__(self, folder: Path) -> None:
        self.path = folder / f"{os.getpid()}.json"
        self.gc: list[tuple[float, int, float]] = []
        self.stalls: list[tuple[float, float]] = []
        self.ticks = 0
        self.requests: list[tuple[float, float]] = []
        self.batches: list[tuple[float, int, float, float]] = []
        self._gc_start = 0.0
        gc.callbacks.append(self.on_gc)

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            ms = (time.perf_counter() - self._gc_start) * 1000
            self.gc.append((time.time(), int(info["generation"]), round(ms, 3)))

    async def watch_loop(self) -> None:
        last_dump = time.monotonic()
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(STALL_TICK_S)
            late_ms = (time.perf_counter() - asked - STALL_TICK_S) * 1000
            self.ticks += 1
            if late_ms > STALL_KEEP_MS:
                self.stalls.append((time.time(), round(late_ms, 2)))
            if time.monotonic() - last_dump >= 1.0:
                last_dump = time.monotonic()
                self.dump()

    def dump(self) -> None:
        data = {
            "pid": os.getpid(),
            "gc": self.gc,
            "stalls": self.stalls,
            "ticks": self.ticks,
            "requests": self.requests,
            "batches": self.batches,
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(msgspec.json.encode(data))
        tmp.replace(self.path)


def _instrument_batcher(probe: Probe) -> None:
    """Time each pipeline of the hold script batcher, and how long its items waited."""
    send = batcher.ScriptBatcher._send
    submit = batcher.MicroBatcher.submit
    submitted: dict[int, float] = {}

    async def stamped_submit(self: batcher.MicroBatcher[Any], item: Any) -> Any:
        submitted[id(item)] = time.perf_counter()
        try:
            return await submit(self, item)
        finally:
            submitted.pop(id(item), None)

    async def timed_send(self: batcher.ScriptBatcher, batch: list[Any]) -> None:
        sent = time.perf_counter()
        waited = max(sent - submitted.get(id(item), sent) for item, _ in batch)
        await send(self, batch)
        probe.batches.append(
            (time.time(), len(batch), round((time.perf_counter() - sent) * 1000, 3),
             round(waited * 1000, 3))
        )  # fmt: skip

    batcher.ScriptBatcher._send = timed_send  # type: ignore[method-assign]
    batcher.MicroBatcher.submit = stamped_submit  # type: ignore[method-assign]


def create() -> Any:
    """ASGI factory for uvicorn: the API plus the probe."""
    probe = Probe(Path(os.environ["ONSALE_TAILPROBE_DIR"]))
    _instrument_batcher(probe)
    app: Litestar = app_from_env()
    started = False

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal started
        if not started and scope["type"] == "http":
            started = True
            if os.environ.get("ONSALE_TAILPROBE_UNFREEZE"):
                # The "before" of the experiment: what the lifespan's gc.freeze() saves.
                gc.unfreeze()
            asyncio.get_running_loop().create_task(probe.watch_loop())
        if scope["type"] != "http":
            await app(scope, receive, send)  # type: ignore[arg-type]
            return
        t0 = time.perf_counter()
        first = True

        async def timed(message: dict[str, Any]) -> None:
            nonlocal first
            if first and message["type"] == "http.response.start":
                first = False
                probe.requests.append((time.time(), round((time.perf_counter() - t0) * 1000, 3)))
            await send(message)

        await app(scope, receive, timed)  # type: ignore[arg-type]

    return asgi
