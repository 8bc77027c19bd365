"""workers.claiming.ClaimingWorker: arq's claim rule, one Redis call per poll."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import in_progress_key_prefix, result_key_prefix
from arq.jobs import Job
from arq.worker import func

from app.core.jobqueue import enqueue_unique
from app.core.settings import Settings
from workers.claiming import ClaimingWorker

QUEUE = "test:claim"


@pytest.fixture
async def arq_pool(settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(settings.jobs_url()))
    yield pool
    await pool.aclose()


def _worker(
    pool: ArqRedis, ran: Counter[str], max_jobs: int = 50, timeout_s: int | None = None
) -> ClaimingWorker:
    async def record(ctx: dict[str, Any], name: str) -> str:
        ran[name] += 1
        await asyncio.sleep(0.01)
        return name

    return ClaimingWorker(
        functions=[func(record, name="record", timeout=timeout_s)],
        redis_pool=pool,
        queue_name=QUEUE,
        max_jobs=max_jobs,
        handle_signals=False,
    )


async def _finish(worker: ClaimingWorker) -> None:
    await asyncio.gather(*worker.tasks.values())


async def test_claims_only_free_due_jobs_once(arq_pool: ArqRedis) -> None:
    for name in ("a", "b", "c"):
        assert await arq_pool.enqueue_job("record", name, _job_id=name, _queue_name=QUEUE)
    assert await arq_pool.enqueue_job("record", "d", _job_id="d", _queue_name=QUEUE, _defer_by=60)
    await arq_pool.psetex(in_progress_key_prefix + "b", 60_000, b"1")  # another worker runs b
    ran: Counter[str] = Counter()
    worker = _worker(arq_pool, ran)

    await worker.start_jobs([b"a", b"b", b"c", b"d", b"gone"])
    await _finish(worker)

    assert ran == Counter({"a": 1, "c": 1})
    assert worker.job_counter == 0
    assert worker.sem._value == worker.max_jobs + 1  # every slot given back (arq: max + 1)
    assert await arq_pool.zscore(QUEUE, "b") is not None  # still queued for its owner
    assert await arq_pool.zscore(QUEUE, "d") is not None  # due later
    # Finished jobs left the queue: a later poll that still lists them runs nothing.
    again = _worker(arq_pool, ran)
    await again.start_jobs([b"a", b"c"])
    await _finish(again)
    assert ran == Counter({"a": 1, "c": 1})


async def test_two_workers_never_run_a_job_twice(arq_pool: ArqRedis) -> None:
    names = [f"job{i}" for i in range(40)]
    for name in names:
        assert await arq_pool.enqueue_job("record", name, _job_id=name, _queue_name=QUEUE)
    ran: Counter[str] = Counter()
    workers = [_worker(arq_pool, ran), _worker(arq_pool, ran)]
    ids = [n.encode() for n in names]

    await asyncio.gather(*(w.start_jobs(ids) for w in workers))
    await asyncio.gather(*(_finish(w) for w in workers))

    assert ran == Counter(dict.fromkeys(names, 1))
    assert await arq_pool.zcard(QUEUE) == 0


async def test_max_jobs_bounds_one_poll(arq_pool: ArqRedis) -> None:
    names = [f"job{i}" for i in range(5)]
    for name in names:
        assert await arq_pool.enqueue_job("record", name, _job_id=name, _queue_name=QUEUE)
    ran: Counter[str] = Counter()
    worker = _worker(arq_pool, ran, max_jobs=3)

    await worker.start_jobs([n.encode() for n in names])
    assert len(worker.tasks) == 3
    await _finish(worker)
    assert sum(ran.values()) == 3
    assert await arq_pool.zcard(QUEUE) == 2  # the rest wait for the next poll


async def _until_gone(pool: ArqRedis, key: str) -> None:
    """Bounded wait for Redis to drop an expired key (EXISTS expires it on access)."""
    for _ in range(200):
        if not await pool.exists(key):
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{key} still there")


async def test_a_dead_workers_claim_expires_after_the_job_timeout_and_not_before(
    arq_pool: ArqRedis,
) -> None:
    assert await arq_pool.enqueue_job("record", "x", _job_id="x", _queue_name=QUEUE)
    ran: Counter[str] = Counter()
    dead = _worker(arq_pool, ran, timeout_s=30)
    # arq's rule: a claim lasts the job's timeout + 10 s, then another worker may run it.
    claim_ms = int(dead.in_progress_timeout_s * 1000)
    assert claim_ms == 40_000
    key = in_progress_key_prefix + "x"

    # The worker claims the job and dies before running it: its claim is all that is left.
    assert (await dead._claim(["x"]))[0]
    ttl_ms = await arq_pool.pttl(key)
    # In milliseconds, not seconds: a claim of 40 ms (or 40,000 s) is caught here.
    assert claim_ms - 5_000 < ttl_ms <= claim_ms, ttl_ms

    # Before the claim expires (5 s left of it), another worker leaves the job alone.
    await arq_pool.pexpire(key, 5_000)
    alive = _worker(arq_pool, ran, timeout_s=30)
    await alive.start_jobs([b"x"])
    await _finish(alive)
    assert ran == Counter()
    assert await arq_pool.zscore(QUEUE, "x") is not None

    # Once the job's timeout has passed, the job is claimed again and runs, once.
    await arq_pool.pexpire(key, 1)
    await _until_gone(arq_pool, key)
    await alive.start_jobs([b"x"])
    await _finish(alive)
    assert ran == Counter({"x": 1})
    assert await arq_pool.zscore(QUEUE, "x") is None


async def test_jobs_enqueued_in_one_round_trip_run_as_arqs_own(arq_pool: ArqRedis) -> None:
    """app.core.jobqueue writes arq's own job and queue entries: the worker runs them once;
    an id that is queued, or whose job finished, is refused as arq refuses it."""
    assert await enqueue_unique(arq_pool, "record", "x", job_id="x", queue=QUEUE)
    assert not await enqueue_unique(arq_pool, "record", "x", job_id="x", queue=QUEUE)
    assert await enqueue_unique(
        arq_pool, "record", "later", job_id="later", queue=QUEUE, defer_s=60
    )
    info = await Job("x", arq_pool, _queue_name=QUEUE).info()
    assert info is not None
    assert (info.function, info.args) == ("record", ("x",))
    ran: Counter[str] = Counter()
    worker = _worker(arq_pool, ran)
    await worker.start_jobs([b"x", b"later"])
    await _finish(worker)
    assert ran == Counter({"x": 1})  # "later" is not due
    assert await arq_pool.exists(result_key_prefix + "x")
    assert not await enqueue_unique(arq_pool, "record", "x", job_id="x", queue=QUEUE)
    assert await arq_pool.zscore(QUEUE, "x") is None
