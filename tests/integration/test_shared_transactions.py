"""workers.transactions: the plain transactions of a worker's concurrent arq jobs go out as
one MULTI/EXEC, each job still getting its own replies, or its own error."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from redis.exceptions import ResponseError

from app.core.settings import Settings
from workers.transactions import SharedTransactions, share_transactions


@pytest.fixture
async def arq_pool(settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(settings.jobs_url()))
    share_transactions(pool)
    yield pool
    await pool.aclose()


def _sent(pool: ArqRedis) -> list[int]:
    """Sizes of the shared batches sent so far (wraps the pool's shared sender once)."""
    shared: SharedTransactions = pool._onsale_shared  # type: ignore[attr-defined]
    sizes: list[int] = []
    send = shared._send

    async def counting(batch: list[tuple[list[tuple[object, object]], object]]) -> None:
        sizes.append(len(batch))
        await send(batch)  # type: ignore[arg-type]

    shared._batcher._send = counting  # type: ignore[assignment]
    return sizes


async def test_concurrent_transactions_share_one_exec_and_get_their_own_replies(
    arq_pool: ArqRedis,
) -> None:
    tag = uuid.uuid4().hex
    sizes = _sent(arq_pool)

    async def job(i: int) -> list[object]:
        # arq's start of a job: read the job, count the try.
        await arq_pool.set(f"{tag}:job:{i}", f"payload-{i}")
        async with arq_pool.pipeline(transaction=True) as pipe:
            pipe.get(f"{tag}:job:{i}")
            pipe.incr(f"{tag}:try:{i}")
            pipe.incrby(f"{tag}:try:{i}", i)
            pipe.expire(f"{tag}:try:{i}", 60)
            return await pipe.execute()

    replies = await asyncio.gather(*(job(i) for i in range(40)))
    for i, reply in enumerate(replies):
        assert reply == [f"payload-{i}".encode(), 1, 1 + i, True]
    assert sum(sizes) == 40
    assert len(sizes) < 40  # shared: fewer transactions than jobs


async def test_an_error_reply_fails_only_its_own_transaction(arq_pool: ArqRedis) -> None:
    tag = uuid.uuid4().hex
    await arq_pool.set(f"{tag}:text", "not a number")

    async def good(i: int) -> list[object]:
        async with arq_pool.pipeline(transaction=True) as pipe:
            pipe.incr(f"{tag}:n:{i}")
            return await pipe.execute()

    async def bad() -> list[object]:
        async with arq_pool.pipeline(transaction=True) as pipe:
            pipe.incr(f"{tag}:text")
            return await pipe.execute()

    results = await asyncio.gather(
        *(good(i) for i in range(5)), bad(), *(good(i) for i in range(5, 10)),
        return_exceptions=True,
    )  # fmt: skip
    assert isinstance(results[5], ResponseError)
    assert [r for i, r in enumerate(results) if i != 5] == [[1]] * 10


async def test_a_watching_transaction_runs_on_its_own(arq_pool: ArqRedis) -> None:
    """arq's enqueue_job WATCHes its keys: sharing its EXEC would break its check."""
    tag = uuid.uuid4().hex
    sizes = _sent(arq_pool)
    async with arq_pool.pipeline(transaction=True) as pipe:
        await pipe.watch(f"{tag}:k")
        assert await pipe.exists(f"{tag}:k") == 0
        pipe.multi()  # type: ignore[no-untyped-call]
        pipe.set(f"{tag}:k", "v")
        assert await pipe.execute() == [True]
    assert sizes == []
    job = await arq_pool.enqueue_job("nothing", _job_id=f"{tag}:job", _queue_name=f"{tag}:q")
    assert job is not None
    assert (
        await arq_pool.enqueue_job("nothing", _job_id=f"{tag}:job", _queue_name=f"{tag}:q") is None
    )
    assert sizes == []
