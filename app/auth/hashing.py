"""argon2 off the event loop, with a bounded queue: a login storm gets 429, not a 7 s wait.

Each process runs at most one hash per CPU at a time and admits at most
MAX_WAITING_PER_CPU more per CPU to wait for a slot; beyond that a request is
refused at once with 429 `rate_limited` and `Retry-After: 1`, before it takes
a database connection, so no caller waits longer than a few hash times
(about 36 ms each at our parameters).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from app.core.ratelimit import rate_limited
from app.core.security import hash_password, verify_password

MAX_WAITING_PER_CPU = 4
T = TypeVar("T")


class HashGate:
    def __init__(self, cpus: int | None = None) -> None:
        self.cpus = max(1, cpus or os.cpu_count() or 1)
        self._slots: asyncio.Semaphore | None = None
        self._admitted = 0

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """A place in the bounded queue for the whole login (lookup and hash), or 429."""
        if self._admitted >= self.cpus * (1 + MAX_WAITING_PER_CPU):
            raise rate_limited(1)
        self._admitted += 1
        try:
            yield
        finally:
            self._admitted -= 1

    async def run(self, fn: Callable[..., T], *args: str) -> T:
        """Run one hash in a thread once a CPU slot is free (call inside `admitted`)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.cpus)
        async with self._slots:
            return await asyncio.to_thread(fn, *args)

    async def hash(self, password: str) -> str:
        async with self.admitted():
            return await self.run(hash_password, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self.admitted():
            return await self.run(verify_password, password_hash, password)


gate = HashGate()
