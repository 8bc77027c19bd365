"""On the three-master Redis Cluster (--redis-cluster): events spread over every master, and a
master's failover in the middle of a sale loses no confirmed order and oversells nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from app.core import keys
from app.core.settings import Settings
from app.orders import finalize
from devtools.cluster import LocalCluster
from tests.support import checkout as h
from tests.support.api import Api, User, bulk_fans

pytestmark = pytest.mark.cluster

CAPACITY = 30
FANS = 24  # 2 seats each: 48 wanted, 30 on sale


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def on_sale(api: Api, org: User, capacity: int = CAPACITY) -> str:
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": capacity}]
    event = await api.event(org, sections=sections)
    return str(event["event_id"])


async def test_events_spread_over_all_three_masters(
    api: Api, cluster: LocalCluster, resources: Any
) -> None:
    org = await api.user("organizer")
    # 30 events: all on two masters by chance is 3 x (2/3)^30, about 1 in 60,000.
    events = [await on_sale(api, org, 10) for _ in range(30)]
    owners = {cluster.owner_of(keys.inventory(ev)).port for ev in events}
    assert len(owners) == 3, owners
    # Every key of one event on its one master: the per-event scripts stay atomic.
    for ev in events[:3]:
        assert {
            cluster.owner_of(k).port
            for k in (keys.event_meta(ev), keys.queue_line(ev), keys.hold_expiry(ev))
        } == {cluster.owner_of(keys.inventory(ev)).port}
    # Cross-event keys carry their own tag, never an event's.
    assert sorted(await resources.redis.smembers(keys.live_events())) == sorted(events)


async def retried(call: Any, attempts: int = 40) -> httpx.Response:
    """What a fan's app does on 503 (Redis failing over): the same request again, shortly."""
    for _ in range(attempts):
        response: httpx.Response = await call()
        if response.status_code != 503:
            return response
        await asyncio.sleep(0.25)
    return response


async def buy(api: Api, settings: Settings, resources: Any, event_id: str, fan: User) -> str:
    """One fan's purchase, retrying through the failover; the outcome."""
    queue = await retried(
        lambda: api.client.post(f"/api/v1/events/{event_id}/queue", headers=fan.headers)
    )
    if queue.json()["state"] == "closed":
        return "sold_out"
    token = queue.json()["admission_token"]
    hold_key = uuid.uuid4().hex
    held = await retried(
        lambda: api.client.post(
            f"/api/v1/events/{event_id}/holds",
            json={"section": "FLOOR", "quantity": 2},
            headers={**fan.headers, "X-Admission-Token": token, "Idempotency-Key": hold_key},
        )
    )
    if held.status_code == 409:
        return "sold_out"
    assert held.status_code == 201, held.text
    checkout_key = uuid.uuid4().hex
    out = await retried(
        lambda: api.client.post(
            f"/api/v1/holds/{held.json()['hold_id']}/checkout",
            json={"payment_method": "pm_card_visa"},
            headers={**fan.headers, "Idempotency-Key": checkout_key},
        )
    )
    assert out.status_code == 201, out.text
    pi = out.json()["payment_intent_id"]
    # The worker's finalize job, retried with backoff as arq does.
    for _ in range(40):
        try:
            result = await finalize.finalize_payment(resources, pi)
            break
        except Exception:
            await asyncio.sleep(0.25)
    else:
        raise AssertionError(f"finalize of {pi} never went through")
    return f"{result}:{pi}"


async def test_failover_during_a_sale_loses_no_order_and_oversells_nothing(
    api: Api, settings: Settings, resources: Any, cluster: LocalCluster, stripe_base: str
) -> None:
    org = await api.user("organizer")
    event_id = await on_sale(api, org)
    master = cluster.owner_of(keys.inventory(event_id))
    fans = await bulk_fans(settings, FANS)

    async def failover_midway() -> int:
        # Wait until about a third of the seats are gone, then promote the replica.
        while h.inventory(settings, event_id)["available"] > CAPACITY * 2 // 3:
            await asyncio.sleep(0.02)
        promoted = await asyncio.to_thread(cluster.failover, master)
        return promoted.port

    gate = asyncio.Semaphore(6)

    async def one(fan: User) -> str:
        async with gate:
            return await buy(api, settings, resources, event_id, fan)

    promoted_port, *outcomes = await asyncio.gather(failover_midway(), *(one(f) for f in fans))
    assert cluster.owner_of(keys.inventory(event_id)).port == promoted_port != master.port

    confirmed = [o.split(":", 1)[1] for o in outcomes if o.startswith("confirmed:")]
    assert len(confirmed) == CAPACITY // 2, outcomes
    # Every captured payment has exactly one confirmed order, and nothing is oversold.
    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["confirmed"] == counts["captured"] == len(confirmed)
    assert counts["sold"] == counts["tickets"] == CAPACITY
    assert counts["over"] == 0
    for pi in confirmed:
        assert h.captures(stripe_base, pi) == 1
    # Redis after the failover agrees with the record: all sold, nothing held or left.
    assert h.inventory(settings, event_id) == {
        "capacity": CAPACITY,
        "available": 0,
        "held": 0,
        "sold": CAPACITY,
    }
