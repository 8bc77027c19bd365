"""Micro-batching: concurrent callers' work items go out together, a few batches in flight.

Two hot spots use it. The hold path's concurrent EVALSHAs share one pipeline
round trip (`ScriptBatcher`): every awaited command costs a socket write and
a read in the calling process, most of the CPU a hold costs beyond the
framework's ceiling. The finalize jobs of one worker confirm their orders in
shared Postgres transactions (app.orders.confirm), so a section's hot row is
locked once per batch instead of once per order.

Items submitted in the same event-loop tick, or while `max_in_flight`
batches are already out, form the next batch, so at low concurrency an item
never waits for another batch's round trip. Each caller gets its own result
or its own error.

No SCRIPT EXISTS round trip per batch: the pipeline carries EVALSHA of the
registered scripts; a NOSCRIPT reply (Redis restarted or flushed its script
cache) makes just those calls run again through `register_script`'s own
EVALSHA-with-SCRIPT-LOAD fallback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from app.core.redis import send_batch

T = TypeVar("T")
Pending = tuple[T, "asyncio.Future[Any]"]


class MicroBatcher(Generic[T]):
    """Collects items and hands them to `send` in batches of at most `max_batch`.

    `send` resolves each item's future; an exception escaping it fails every
    unresolved future of the batch (a cancellation still propagates).
    """

    def __init__(
        self,
        send: Callable[[list[Pending[T]]], Awaitable[None]],
        *,
        max_batch: int,
        max_in_flight: int,
    ) -> None:
        self._send = send
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self._pending: list[Pending[T]] = []
        self._flushing = 0

    async def submit(self, item: T) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._flushing < self.max_in_flight:
            self._flushing += 1
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self.max_batch]
                self._pending = self._pending[self.max_batch :]
                try:
                    await self._send(batch)
                except BaseException as exc:  # nobody waits forever, whatever happened
                    error = exc if isinstance(exc, Exception) else RuntimeError(f"stopped: {exc!r}")
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    if not isinstance(exc, Exception):
                        raise
        finally:
            self._flushing -= 1


# Upper bound of script calls per pipeline (bounds one reply's size and latency).
MAX_BATCH = 128
# Pipelines out at once per process.
MAX_IN_FLIGHT = 4

ScriptCall = tuple[AsyncScript, list[str], list[Any]]
# What goes on the wire, and the script call it is (None for a plain command).
Call = tuple[tuple[Any, ...], ScriptCall | None]


class ScriptBatcher:
    """Sends concurrent script calls (and plain commands) as pipelines; each runs atomically,
    in order, in Redis."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._batcher = MicroBatcher[Call](
            self._send, max_batch=MAX_BATCH, max_in_flight=MAX_IN_FLIGHT
        )

    async def run(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        return await self._batcher.submit((command, (script, keys, args)))

    async def command(self, *command: Any) -> Any:
        """A plain command (its raw reply: HGETALL answers a flat list on RESP2)."""
        return await self._batcher.submit((command, None))

    async def _send(self, batch: list[Pending[Call]]) -> None:
        commands = [command for (command, _), _ in batch]
        results = await send_batch(self.redis, commands)
        if results is None and len(batch) == 1 and batch[0][0][1] is not None:
            await self._single(batch[0][0][1], batch[0][1])
            return
        if results is None:  # a cluster: its pipeline splits the batch per node
            pipe = self.redis.pipeline(transaction=False)
            for command in commands:
                # execute_command: redis-py blocks `.evalsha()` in cluster
                # pipelines; the raw command is routed to the keys' node all the same.
                pipe.execute_command(*command)
            results = await pipe.execute(raise_on_error=False)
        for ((_, call), future), result in zip(batch, results, strict=True):
            if isinstance(result, NoScriptError) and call is not None:
                await self._single(call, future)
            elif future.done():
                continue
            elif isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    @staticmethod
    async def _single(call: ScriptCall, future: asyncio.Future[Any]) -> None:
        script, keys, args = call
        try:
            result = await script(keys=keys, args=args)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)
