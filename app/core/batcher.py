"""Automatic pipelining of script calls: the hold path's concurrent EVALSHAs share round trips.

Every awaited command costs a socket write and a read (plus redis-py's
stale-data check) in the calling process: on the benchmark machine that is
most of the CPU a hold costs beyond the framework's ceiling. Calls made in
the same event-loop tick, or while MAX_IN_FLIGHT batches are already out, go
out as one pipeline: one write, one read for all of them. A few batches may
be in flight at once (each on its own pooled connection), so at low
concurrency a call never waits for another batch's round trip. Each script
still runs atomically in Redis, in order within its batch; a caller gets its
own result or its own error, as with a single call.

No SCRIPT EXISTS round trip per batch: the pipeline carries EVALSHA of the
registered scripts; a NOSCRIPT reply (Redis restarted or flushed its script
cache) makes just those calls run again through `register_script`'s own
EVALSHA-with-SCRIPT-LOAD fallback.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

# Upper bound of calls per pipeline (bounds one reply's size and latency).
MAX_BATCH = 128
# Batches out at once per process.
MAX_IN_FLIGHT = 4

Call = tuple[AsyncScript, list[str], list[Any], "asyncio.Future[Any]"]


class ScriptBatcher:
    """Collects script calls and sends them as pipelines, a few batches in flight at most."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._pending: list[Call] = []
        self._flushing = 0

    async def run(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((script, keys, args, future))
        if self._flushing < MAX_IN_FLIGHT:
            self._flushing += 1
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._send(batch)
        finally:
            self._flushing -= 1

    async def _send(self, batch: list[Call]) -> None:
        if len(batch) == 1:
            script, keys, args, future = batch[0]
            await self._single(script, keys, args, future)
            return
        pipe = self.redis.pipeline(transaction=False)
        for script, keys, args, _ in batch:
            pipe.evalsha(script.sha, len(keys), *keys, *args)
        try:
            results = await pipe.execute(raise_on_error=False)
        except BaseException as exc:  # the connection failed: every caller gets the error
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(exc))
            if not isinstance(exc, Exception):
                raise
            return
        for (script, keys, args, future), result in zip(batch, results, strict=True):
            if isinstance(result, NoScriptError):
                await self._single(script, keys, args, future)
            elif future.done():
                continue
            elif isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    @staticmethod
    async def _single(
        script: AsyncScript, keys: list[str], args: list[Any], future: asyncio.Future[Any]
    ) -> None:
        try:
            result = await script(keys=keys, args=args)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)
