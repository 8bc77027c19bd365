"""One object per asyncpg pool, for state that batches a pool's concurrent callers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

import asyncpg


class OfPool(Protocol):
    pool: asyncpg.Pool


T = TypeVar("T", bound=OfPool)


class PerPool(Generic[T]):
    """`per_pool(pool)`: the object made for this pool, made on first use.

    Keyed by id, as asyncpg pools take no weak references: a reused id gets a new object,
    and the entries of closed pools are dropped whenever one is made."""

    def __init__(self, make: Callable[[asyncpg.Pool], T]) -> None:
        self._make = make
        self._by_pool: dict[int, T] = {}

    def __call__(self, pool: asyncpg.Pool) -> T:
        found = self._by_pool.get(id(pool))
        if found is None or found.pool is not pool:
            for key, other in list(self._by_pool.items()):
                if other.pool.is_closing():
                    del self._by_pool[key]
            found = self._by_pool[id(pool)] = self._make(pool)
        return found
