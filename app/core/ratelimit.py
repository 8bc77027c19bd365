"""Named rate limits on Redis (the `limits` library), answering 429 `rate_limited`.

Each limit has a name, a default (production values below) and an override
through ONSALE_RATE_LIMITS, e.g. ``login_ip=30/minute;holds_ip=off``. Counters
use `limits`' sliding-window counter on the same Redis as everything else, so
every API process shares them. A refused hit raises AppError 429 with
`Retry-After` (whole seconds until a hit would be allowed again).

The hold and join limits (`holds_*`, `queue_join_*`) are not counted here:
lua/reserve_seats.lua and lua/queue_join.lua check and count them themselves on
the event's keys with the same algorithm (lua/_rate_window.lua; `quota` hands
them the figures), so they cost no round trip and a hold stays one.

Per-IP limits need the client's address (app.core.clientip). When a request
comes straight from a trusted proxy that did not name a client, there is no
client address to count and only the per-account limits apply: internal
traffic such as health checks and a load test on loopback under `onsale dev`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from limits import RateLimitItem, parse
from limits.aio.storage import RedisClusterStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import Redis

from app.core import keys
from app.core.errors import AppError

# Per-IP limits stay loose: at an onsale many fans share one carrier-grade NAT
# address, while per-account limits can be tight.
DEFAULT_LIMITS: dict[str, str] = {
    "login_ip": "60/minute",
    "login_account": "10/minute",
    "register_ip": "20/minute",
    "refresh_ip": "120/minute",
    "password_account": "5/minute",
    "reset_ip": "20/minute",
    "reset_email": "3/minute",
    "queue_join_ip": "300/minute",
    "queue_join_account": "60/minute",
    "pow_challenge_account": "30/minute",
    "party_account": "30/minute",
    "waitlist_account": "30/minute",
    "holds_account": "60/minute",
    "holds_ip": "off",
    "stream_ip": "300/minute",
    "stream_account": "30/minute",
    # A gate scans a code every second or two and uploads its offline scans in batches; door
    # staff may share one scanner account over dozens of devices.
    "checkin_account": "3000/minute",
    "checkin_sync_account": "300/minute",
    # The offline copy is every ticket of a list: a device refreshes it every 20 s to 2 min.
    "checkin_data_account": "120/minute",
}
OFF = "off"


def parse_overrides(text: str) -> dict[str, str]:
    """`name=limit;name=limit` (limits' notation, or `off`), checked against the known names."""
    out: dict[str, str] = {}
    if text.strip().lower() == OFF:
        return dict.fromkeys(DEFAULT_LIMITS, OFF)
    for part in text.replace(",", ";").split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or name not in DEFAULT_LIMITS:
            raise ValueError(f"ONSALE_RATE_LIMITS: unknown limit {name!r}")
        if value.lower() != OFF:
            parse(value)  # raises ValueError on bad notation
        out[name] = value.lower() if value.lower() == OFF else value
    return out


def rate_limited(retry_after_s: int) -> AppError:
    return AppError(
        "rate_limited",
        429,
        "Too many requests",
        f"Too many requests; retry in {retry_after_s} s",
        headers={"Retry-After": str(retry_after_s)},
    )


class Quota(NamedTuple):
    """One named limit for a Lua script to check and count itself (same algorithm).

    A NamedTuple: built on every hold, join and stream open (a frozen dataclass's
    __init__ cost ~1 µs more)."""

    name: str
    identity: str
    limit: int  # hits allowed per window
    window_ms: int


class RateLimiter:
    """Checks the named limits; one per process, built at startup."""

    def __init__(
        self,
        redis: Redis,
        redis_url: str,
        overrides: Mapping[str, str],
        *,
        cluster: bool = False,
    ) -> None:
        storage: RedisStorage
        if cluster:
            # Its own cluster client (limits builds it from the seed nodes); each
            # counter's keys carry one hash tag, so its script runs on one node.
            seeds = urlsplit(redis_url)._replace(scheme="redis+cluster", path="").geturl()
            storage = RedisClusterStorage(
                "async+" + seeds, implementation="redispy", key_prefix=keys.rate_limit_prefix()
            )
        else:
            storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                connection_pool=redis.connection_pool,  # type: ignore[arg-type]
                key_prefix=keys.rate_limit_prefix(),
            )
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self.items: dict[str, RateLimitItem | None] = {}
        for name, default in DEFAULT_LIMITS.items():
            text = overrides.get(name, default)
            self.items[name] = None if text == OFF else parse(text)

    async def hit(self, name: str, identity: str | None) -> None:
        """Count one hit of `identity` against limit `name`; 429 when over it.

        `identity` None (no client address known) counts nothing.
        """
        item = self.items[name]
        if item is None or identity is None:
            return
        if await self._limiter.hit(item, name, identity):
            return
        stats = await self._limiter.get_window_stats(item, name, identity)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise rate_limited(min(retry_after, item.get_expiry()))

    def quota(self, name: str, identity: str | None) -> Quota | None:
        """Limit `name` for `identity` as a script counts it; None when off or no identity."""
        item = self.items[name]
        if item is None or identity is None:
            return None
        return Quota(name, identity, item.amount, item.get_expiry() * 1000)

    async def reset(self, name: str, identity: str) -> None:
        item = self.items[name]
        if item is not None:
            await self._limiter.clear(item, name, identity)
