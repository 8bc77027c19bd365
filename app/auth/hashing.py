"""argon2 off the event loop, with a bounded queue: a login storm gets 429, not a 7 s wait.

Each process runs at most one hash per CPU at a time and lets at most
MAX_WAITING_PER_CPU per CPU wait for a slot; beyond that a request is refused
at once with 429 `rate_limited` and `Retry-After: 1`, so no caller waits longer
than a few hash times (about 35 ms each at our parameters).
"""

from __future__ import annotations

import asyncio
import os

from app.core.ratelimit import rate_limited
from app.core.security import hash_password, needs_rehash, verify_password

MAX_WAITING_PER_CPU = 4


class HashGate:
    def __init__(self, cpus: int | None = None) -> None:
        self.cpus = max(1, cpus or os.cpu_count() or 1)
        self._slots: asyncio.Semaphore | None = None
        self._admitted = 0

    def _enter(self) -> asyncio.Semaphore:
        if self._admitted >= self.cpus * (1 + MAX_WAITING_PER_CPU):
            raise rate_limited(1)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.cpus)
        self._admitted += 1
        return self._slots

    async def hash(self, password: str) -> str:
        slots = self._enter()
        try:
            async with slots:
                return await asyncio.to_thread(hash_password, password)
        finally:
            self._admitted -= 1

    async def verify(self, password_hash: str, password: str) -> bool:
        slots = self._enter()
        try:
            async with slots:
                return await asyncio.to_thread(verify_password, password_hash, password)
        finally:
            self._admitted -= 1


gate = HashGate()

__all__ = ["HashGate", "gate", "needs_rehash"]
