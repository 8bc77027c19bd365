"""Finalize through its public entry point under faults: concurrent runs, retries, errors
between its steps (real Redis, Postgres and localstripe; jobs run in the test process)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.core.db import create_pool
from app.core.redis import create_redis
from app.core.scripts import Scripts
from app.core.settings import Settings
from app.orders import finalize
from tests import checkout_helpers as h
from tests.api import Api, bulk_fans


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


@pytest.fixture
async def deps(settings: Settings) -> AsyncIterator[finalize.Deps]:
    pool = await create_pool(settings.database_url, size=4)
    redis = create_redis(settings.redis_url, pool_size=8)
    try:
        yield finalize.Deps(settings=settings, pool=pool, redis=redis, scripts=Scripts(redis))
    finally:
        await redis.aclose()
        await pool.close()


async def on_sale(api: Api, capacity: int = 20, **overrides: Any) -> str:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": capacity}]
    event = await api.event(org, sections=sections, **overrides)
    event_id: str = event["event_id"]
    return event_id


async def paid_checkout(
    api: Api, settings: Settings, event_id: str, quantity: int = 2
) -> tuple[Any, dict[str, Any]]:
    """A fan's hold checked out with a card: authorized, not yet finalized."""
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, event_id, fan, quantity)
    assert r.status_code == 201, r.text
    r = await h.checkout(api.client, fan, r.json()["hold_id"])
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    assert body["payment_status"] == "requires_capture"
    return fan, body


async def test_concurrent_finalize_runs_confirm_once(
    api: Api, settings: Settings, deps: finalize.Deps, stripe_base: str
) -> None:
    event_id = await on_sale(api)
    _, checkout = await paid_checkout(api, settings, event_id, 3)
    pi = checkout["payment_intent_id"]
    outcomes = await asyncio.gather(*(finalize.finalize_payment(deps, pi) for _ in range(4)))
    assert set(outcomes) == {"confirmed"}
    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["orders"] == counts["confirmed"] == 1
    assert counts["tickets"] == 3
    assert counts["sold"] == 3
    assert counts["payments"] == counts["captured"] == 1
    assert h.inventory(settings, event_id) == {
        "capacity": 20,
        "available": 17,
        "held": 0,
        "sold": 3,
    }
    assert h.captures(stripe_base, pi) == 1
