"""Closed-loop admission against a deliberately slowed Redis: the batch follows the targets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from app.admission import service
from app.asgi import create_app
from app.core import keys
from app.core.clock import now_ms
from app.core.resources import Resources
from app.core.settings import Settings
from tests.support.api import Api, assert_problem, bulk_fans
from tests.support.holds import Fan, admit, create_fans
from tests.support.pace import load_factor
from tests.support.queue import Admitter, room
from tests.support.slowproxy import SlowProxy
from waiting_room import control, signals
from waiting_room.control import Signals, Targets

WINDOW_MS = 6000
SLOW_S = 0.15
# The organizer's hold p99 target: a healthy hold on an idle machine is well under it, a hold
# through the slow proxy well over. Both scale with the machine's load (tests/support/pace.py),
# read once per test: on a busy machine a healthy hold alone can take longer than 75 ms.
TARGET_MS = 75


@pytest.fixture
def pace() -> float:
    return load_factor()


@pytest.fixture
async def slow_client(settings: Settings, pace: float) -> AsyncIterator[Any]:
    """The same API, its Redis behind a proxy that adds 150 ms (times the load factor) to
    every request."""
    proxy = SlowProxy(settings.redis_url, SLOW_S * pace)
    url = proxy.start()
    app = create_app(msgspec.structs.replace(settings, redis_url=url))
    try:
        async with AsyncTestClient(app=app) as client:
            yield client
    finally:
        proxy.close()


@pytest.fixture
async def admitter(settings: Settings) -> AsyncIterator[Admitter]:
    a = Admitter(settings)
    yield a
    await a.close()


async def holds(client: Any, event_id: str, fans: list[Fan]) -> None:
    for fan in fans:
        r = await client.post(
            f"/api/v1/events/{event_id}/holds",
            json={"section": "FLOOR", "quantity": 1},
            headers=fan.headers(event_id),
        )
        assert r.status_code == 201, r.text


async def step(resources: Resources, event_id: str, samples: int) -> control.Step:
    """One controller step once every hold's sample is in Redis.

    Each API process flushes its own samples (the slowed one through the proxy),
    so the test waits for `samples` of them rather than guessing a time.
    """
    await signals.flush(resources.redis)
    for _ in range(100):
        if await resources.redis.llen(keys.admission_latencies(event_id)) >= samples:  # type: ignore[misc]
            break
        await asyncio.sleep(0.1)
    result = await service.step(resources.redis, event_id, now_ms(), WINDOW_MS)
    assert result is not None
    return result


def test_aimd_rule() -> None:
    targets = Targets(
        hold_p99_ms=50, hold_success_min=0.99, payment_error_max=0.05, max_shoppers=100
    )
    fine = Signals(hold_p99_ms=10, hold_success=1.0, payment_error_rate=0.0, shoppers=10)
    assert control.decide(targets, fine, 40, 100) == control.Step(50, "increase")
    assert control.decide(targets, fine, 95, 100) == control.Step(100, "increase")
    assert control.decide(targets, fine, 100, 100) == control.Step(100, "at ceiling")
    slow = Signals(hold_p99_ms=80, hold_success=0.9, payment_error_rate=0.2, shoppers=150)
    assert control.decide(targets, slow, 40, 100) == control.Step(
        20, "decrease: hold_p99,hold_success,payment_errors,shoppers"
    )
    assert control.decide(targets, slow, 1, 100).batch == 1
    # Too few samples: a signal is unknown (None) and never steers.
    unknown = Signals(hold_p99_ms=None, hold_success=None, payment_error_rate=None, shoppers=0)
    assert control.decide(targets, unknown, 10, 100).reason == "increase"


@pytest.mark.slow
async def test_admission_rate_follows_hold_latency_target(
    api: Api,
    settings: Settings,
    resources: Resources,
    slow_client: Any,
    admitter: Admitter,
    pace: float,
) -> None:
    target_ms = round(TARGET_MS * pace)
    org = await api.user("organizer")
    event = await api.event(
        org,
        sections=[{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 500}],
        waiting_room=room(admit_batch_size=40, admit_interval_s=1),
    )
    event_id = event["event_id"]
    admission = f"/api/v1/events/{event_id}/admission"
    r = await api.client.get(admission, headers=org.headers)
    assert (r.json()["mode"], r.json()["batch"]) == ("fixed", 40)
    assert_problem(
        await api.client.put(
            f"{admission}/targets", json={"hold_success_min": 2}, headers=org.headers
        ),
        400,
        "invalid_request",
    )
    r = await api.client.put(
        f"{admission}/targets", json={"hold_p99_ms": target_ms}, headers=org.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["mode"] == "closed_loop"

    fans = await create_fans(settings.database_url, settings.secret_key, 100)
    await admit(resources.redis, settings.secret_key, event_id, fans)

    # A healthy shop: the batch stays at the organizer's ceiling.
    await holds(api.client, event_id, fans[:25])
    assert await step(resources, event_id, 25) == control.Step(40, "at ceiling")

    # The backend slows down: every step halves the batch.
    await asyncio.sleep(WINDOW_MS / 1000 + 0.1)
    await holds(slow_client, event_id, fans[25:50])
    assert await step(resources, event_id, 50) == control.Step(20, "decrease: hold_p99")
    await asyncio.sleep(WINDOW_MS / 2000 + 0.1)
    await holds(slow_client, event_id, fans[50:75])
    assert await step(resources, event_id, 75) == control.Step(10, "decrease: hold_p99")

    body = (await api.client.get(admission, headers=org.headers)).json()
    assert (body["batch"], body["configured_batch"], body["reason"]) == (
        10,
        40,
        "decrease: hold_p99",
    )
    assert body["signals"]["hold_p99_ms"] > target_ms
    metrics = (await api.client.get("/metrics")).text
    assert f'onsale_admission_batch{{event="{event_id}"}} 10.0' in metrics

    # The room admits the controlled batch, not the configured one.
    queued = await bulk_fans(settings, 30)
    for fan in queued:
        r = await api.client.post(f"/api/v1/events/{event_id}/queue", headers=fan.headers)
        assert r.status_code == 201
    assert (await admitter.tick(event_id)).admitted == 10

    # Healthy again: the batch grows back additively (a tenth of the ceiling per step).
    await asyncio.sleep(WINDOW_MS / 1000 + 0.1)
    await holds(api.client, event_id, fans[75:100])
    assert await step(resources, event_id, 100) == control.Step(14, "increase")

    # Clearing the targets returns the room to the fixed batch.
    r = await api.client.put(f"{admission}/targets", json={}, headers=org.headers)
    assert (r.json()["mode"], r.json()["batch"]) == ("fixed", 40)
    assert await service.step(resources.redis, event_id, now_ms()) is None
