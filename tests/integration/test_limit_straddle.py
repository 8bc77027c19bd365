"""Concurrent holds whose quantities straddle each limit: exactly the limit is taken, never
one seat more or less (tells `>` from `>=` in reserve_seats.lua's checks)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from redis.asyncio import Redis

from app.core import keys
from app.core.settings import Settings
from tests.support.api import Api
from tests.support.holds import admit, create_fans, inventory


async def _storm(api: Api, fan: Any, ev: str, quantities: list[int]) -> Counter[int]:
    async def one(quantity: int) -> int:
        r = await api.client.post(
            f"/api/v1/events/{ev}/holds",
            json={"section": "FLOOR", "quantity": quantity},
            headers=fan.headers(ev),
        )
        return r.status_code

    return Counter(await asyncio.gather(*(one(q) for q in quantities)))


async def test_per_user_limit_under_concurrency_straddles(api: Api, settings: Settings) -> None:
    organizer = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 100, "capacity": 100}]
    ev = (await api.event(organizer, max_per_order=4, max_per_user=5, sections=sections))[
        "event_id"
    ]
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        one, two = await create_fans(settings.database_url, settings.secret_key, 2)
        await admit(redis, settings.secret_key, ev, [one, two])
        # 20 single seats against a limit of 5: `>=` would stop at 4.
        assert await _storm(api, one, ev, [1] * 20) == {201: 5, 409: 15}
        assert await redis.hget(keys.user_seats(ev), one.user_id) == "5"
        # 2 held, then ten racing requests of 3: 2 + 3 = 5 fits exactly once.
        assert await _storm(api, two, ev, [2]) == {201: 1}
        assert await _storm(api, two, ev, [3] * 10) == {201: 1, 409: 9}
        seats = int(await redis.hget(keys.user_seats(ev), two.user_id) or 0)
        assert seats == 5
        inv = await inventory(redis, ev)
        assert inv["held"] == 5 + seats
        assert inv["available"] + inv["held"] + inv["sold"] == inv["capacity"]
    finally:
        await redis.aclose()


async def test_seat_check_under_concurrency_straddles(api: Api, settings: Settings) -> None:
    """7 seats, 12 fans asking for 1: exactly 7 holds; `available <= quantity` would stop at 6."""
    organizer = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 100, "capacity": 7}]
    ev = (await api.event(organizer, sections=sections))["event_id"]
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        fans = await create_fans(settings.database_url, settings.secret_key, 12)
        await admit(redis, settings.secret_key, ev, fans)
        results = await asyncio.gather(*(_storm(api, f, ev, [1]) for f in fans))
        assert sum(results, Counter[int]()) == {201: 7, 409: 5}
        assert await inventory(redis, ev) == {"capacity": 7, "available": 0, "held": 7, "sold": 0}
    finally:
        await redis.aclose()
