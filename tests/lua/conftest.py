"""Fixtures of the Lua script tests: the registered scripts on the test Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.core.scripts import Scripts
from tests.support.redis_clients import connect


@pytest.fixture
async def scripts(redis_url: str) -> AsyncIterator[Scripts]:
    client = connect(redis_url)
    try:
        yield Scripts(client)
    finally:
        await client.aclose()
