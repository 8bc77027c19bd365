"""app.core.batcher against a real Redis: concurrent script calls share pipelines, each caller
gets its own result or error, and a flushed script cache is survived."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ResponseError

from app.core.batcher import MAX_BATCH, ScriptBatcher
from app.core.redis import create_redis

ECHO = """
if ARGV[1] == 'fail' then return redis.error_reply('boom ' .. KEYS[1]) end
redis.call('RPUSH', 'batcher:order', ARGV[1])
return {KEYS[1], ARGV[1]}
"""


async def test_concurrent_calls_get_their_own_results_in_order(redis_url: str) -> None:
    redis = create_redis(redis_url)
    try:
        script = redis.register_script(ECHO)
        batcher = ScriptBatcher(redis)
        n = 3 * MAX_BATCH + 7
        results = await asyncio.gather(
            *(batcher.run(script, [f"k{i}"], [str(i)]) for i in range(n))
        )
        assert results == [[f"k{i}", str(i)] for i in range(n)]
        # Every script ran exactly once.
        ran = await redis.lrange("batcher:order", 0, -1)  # type: ignore[misc]
        assert sorted(ran, key=int) == [str(i) for i in range(n)]
    finally:
        await redis.aclose()


async def test_one_failing_call_does_not_fail_its_batch(redis_url: str) -> None:
    redis = create_redis(redis_url)
    try:
        script = redis.register_script(ECHO)
        batcher = ScriptBatcher(redis)
        calls = [batcher.run(script, [f"k{i}"], ["fail" if i == 5 else str(i)]) for i in range(10)]
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert isinstance(results[5], ResponseError)
        assert "boom k5" in str(results[5])
        assert [r for i, r in enumerate(results) if i != 5] == [
            [f"k{i}", str(i)] for i in range(10) if i != 5
        ]
    finally:
        await redis.aclose()


async def test_script_cache_flushed_between_batches(redis_url: str) -> None:
    redis = create_redis(redis_url)
    try:
        script = redis.register_script(ECHO)
        batcher = ScriptBatcher(redis)
        assert await batcher.run(script, ["a"], ["1"]) == ["a", "1"]
        await redis.script_flush()
        results = await asyncio.gather(
            *(batcher.run(script, [f"k{i}"], [str(i)]) for i in range(20))
        )
        assert results == [[f"k{i}", str(i)] for i in range(20)]
    finally:
        await redis.aclose()


@pytest.mark.timeout(30)
async def test_unreachable_redis_fails_every_caller(redis_url: str) -> None:
    redis = create_redis("redis://127.0.0.1:1/0")
    try:
        script = redis.register_script(ECHO)
        batcher = ScriptBatcher(redis)
        results = await asyncio.gather(
            *(batcher.run(script, ["k"], [str(i)]) for i in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, Exception) for r in results)
        # The batcher is not stuck: a later call is attempted (and fails) too.
        with pytest.raises(Exception):  # noqa: B017
            await batcher.run(script, ["k"], ["x"])
    finally:
        await redis.aclose()
