"""Fixtures of the Lua script tests: the registered scripts on the test Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.core.scripts import Scripts


@pytest.fixture
async def scripts(redis_url: str) -> AsyncIterator[Scripts]:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        yield Scripts(client)
    finally:
        await client.aclose()
