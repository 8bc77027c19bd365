"""The one clock: epoch milliseconds for Redis and Lua, aware UTC datetimes for Postgres."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    """Milliseconds since the epoch (the unit of every time stored in Redis)."""
    return time.time_ns() // 1_000_000


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def from_epoch_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)
