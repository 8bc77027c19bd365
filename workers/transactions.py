"""arq's per-job MULTI/EXEC transactions, the concurrent jobs' ones sent as one.

arq opens two transactions per job it runs: at the start (read the job, count the
try) and at the end (store the result, drop the job from the queue and its keys).
Each is a round trip with redis-py's pipeline machinery on both ends: with 200
finalize jobs in flight, a worker sent 400 transactions for 200 orders. Here a
worker's arq connection hands the transactions that concurrent jobs execute in
the same event-loop tick, or while `IN_FLIGHT` others are out, to one MULTI/EXEC
(app.core.batcher.MicroBatcher): each job's commands still run atomically and
in order (inside a larger atomic block), and each job gets its own replies, or
its own error.

Only plain transactions are shared: a pipeline that WATCHes keys, opened MULTI
itself, loads scripts, or is not a transaction runs on its own as before.
"""

from __future__ import annotations

from typing import Any

from arq.connections import ArqRedis
from redis.asyncio.client import Pipeline

from app.core.batcher import MicroBatcher, Pending

# Commands of one stack: (args, options) as redis-py's Pipeline stages them.
Stack = list[tuple[Any, Any]]

BATCH_MAX = 128
IN_FLIGHT = 2


class SharedTransactions:
    """Runs the staged transactions of one arq connection pool together."""

    def __init__(self, pool: ArqRedis) -> None:
        self.pool = pool
        self._batcher = MicroBatcher[Stack](
            self._send, max_batch=BATCH_MAX, max_in_flight=IN_FLIGHT
        )

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        """What `ArqRedis.pipeline` returns, with a shared `execute` for plain transactions."""
        return SharedPipeline(self, transaction, shard_hint)

    async def run(self, stack: Stack) -> list[Any]:
        replies: list[Any] = await self._batcher.submit(stack)
        return replies

    async def _send(self, batch: list[Pending[Stack]]) -> None:
        pipe = Pipeline(self.pool.connection_pool, self.pool.response_callbacks, True, None)
        for stack, _ in batch:
            for args, options in stack:
                pipe.pipeline_execute_command(*args, **options)  # type: ignore[no-untyped-call]
        replies = await pipe.execute(raise_on_error=False)
        start = 0
        for stack, future in batch:
            end = start + len(stack)
            if not future.done():
                future.set_result(replies[start:end])
            start = end


class SharedPipeline(Pipeline):
    """A transaction whose `execute` joins the concurrent ones of its pool (see above)."""

    def __init__(self, shared: SharedTransactions, transaction: bool, shard_hint: str | None):
        super().__init__(
            shared.pool.connection_pool, shared.pool.response_callbacks, transaction, shard_hint
        )
        self._shared = shared

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        plain = self.is_transaction and not (
            self.watching or self.explicit_transaction or self.scripts
        )
        if not plain or not self.command_stack:
            return await super().execute(raise_on_error)
        stack, self.command_stack = self.command_stack, []
        try:
            replies = await self._shared.run(stack)
        finally:
            await self.reset()  # type: ignore[no-untyped-call]
        if raise_on_error:
            for reply in replies:
                if isinstance(reply, Exception):
                    raise reply
        return replies


def share_transactions(pool: ArqRedis) -> None:
    """From now on, the plain transactions of `pool` are shared (idempotent)."""
    if isinstance(getattr(pool, "_onsale_shared", None), SharedTransactions):
        return
    shared = SharedTransactions(pool)
    pool._onsale_shared = shared  # type: ignore[attr-defined]
    # An instance attribute: only this pool's pipelines change, not every ArqRedis's.
    pool.pipeline = shared.pipeline  # type: ignore[method-assign]
