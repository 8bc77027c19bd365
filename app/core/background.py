"""A coroutine that runs beside a block and is cancelled when the block ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any


@contextlib.asynccontextmanager
async def running_beside(coro: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run `coro` as a task while the block runs; cancel it and wait for it on the way out."""
    task = asyncio.create_task(coro)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
