"""The console's order figures are Redis counters (app.orders.tally), not a scan of the orders.

Stats and the live view used to count the event's orders in Postgres on every
console refresh; at a sale's end that is tens of thousands of rows every 1.5 s
per organizer watching. These tests prove the figures come from the tally: rows
written to the record behind the API's back do not move them, while a tally
lost from Redis is counted back from the record, once.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from app.core import keys
from app.core.settings import Settings
from app.orders import finalize, refunds
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans

# Orders written straight into Postgres: enough that a per-read scan would show.
ROWS = 3000


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def _stats(api: Api, org: Any, event_id: str) -> tuple[int, int, int]:
    r = await api.client.get(f"/api/v1/events/{event_id}/stats", headers=org.headers)
    assert r.status_code == 200, r.text
    s = r.json()
    return s["orders_confirmed"], s["revenue_cents"], s["refunds"]


async def _record(settings: Settings, event_id: str) -> tuple[int, int, int]:
    """The same figures counted over the record (what the endpoint no longer does)."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'confirmed') AS c, "
            "coalesce(sum(amount_cents) FILTER (WHERE status = 'confirmed'), 0) AS rev, "
            "count(*) FILTER (WHERE status = 'refunded') AS r FROM orders WHERE event_id = $1",
            uuid.UUID(event_id),
        )
    finally:
        await conn.close()
    assert row is not None
    return int(row["c"]), int(row["rev"]), int(row["r"])


async def _write_rows_behind_the_api(settings: Settings, event_id: str) -> None:
    (owner,) = await bulk_fans(settings, 1)
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.executemany(
            "INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code, quantity, "
            "status, amount_cents, currency, confirmed_at) "
            "VALUES ($1, $2, $3, $4, 'FLOOR', 1, 'confirmed', 100, 'EUR', now())",
            [
                (uuid.uuid4(), uuid.UUID(event_id), uuid.UUID(owner.user_id), f"h-{i}")
                for i in range(ROWS)
            ],
        )
    finally:
        await conn.close()


async def test_stats_read_the_tally_and_a_lost_tally_is_counted_back_from_the_record(
    api: Api, settings: Settings, resources: Any
) -> None:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 100}]
    event_id = (await api.event(org, sections=sections))["event_id"]
    fan = (await bulk_fans(settings, 1))[0]
    hold = await h.hold(api.client, event_id, fan, 2)
    assert hold.status_code == 201, hold.text
    checkout = (await h.checkout(api.client, fan, hold.json()["hold_id"])).json()
    pi = checkout["payment_intent_id"]
    assert await finalize.finalize_payment(resources, pi) == "confirmed"
    assert await finalize.finalize_payment(resources, pi) == "confirmed"  # a retried job
    assert await _stats(api, org, event_id) == (1, 10000, 0) == await _record(settings, event_id)
    live = (await api.client.get(f"/api/v1/events/{event_id}/live", headers=org.headers)).json()
    assert live["orders_last_min"] == 1
    assert live["stats"]["orders_confirmed"] == 1

    # Thousands of rows the API never saw: a read that scanned the orders would count them.
    await _write_rows_behind_the_api(settings, event_id)
    assert await _stats(api, org, event_id) == (1, 10000, 0)
    assert await _record(settings, event_id) == (1 + ROWS, 10000 + 100 * ROWS, 0)

    # Redis lost the tally: the next read counts the record in, and nothing twice after.
    redis = resources.redis
    await redis.delete(
        keys.order_tally(event_id), keys.order_tally_seen(event_id), keys.orders_recent(event_id)
    )
    expected = (1 + ROWS, 10000 + 100 * ROWS, 0)
    assert await _stats(api, org, event_id) == expected
    assert await finalize.finalize_payment(resources, pi) == "confirmed"
    assert await _stats(api, org, event_id) == expected
    live = (await api.client.get(f"/api/v1/events/{event_id}/live", headers=org.headers)).json()
    assert live["orders_last_min"] == 1 + ROWS

    # A refund leaves confirmed and revenue and counts once, however often the job runs.
    r = await api.client.post(
        f"/api/v1/orders/{checkout['order_id']}/refund", json={}, headers=org.headers
    )
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, checkout["order_id"]) == "refunded"
    assert await refunds.refund_order(resources, checkout["order_id"]) == "refunded"
    after = (ROWS, 100 * ROWS, 1)
    assert await _stats(api, org, event_id) == after == await _record(settings, event_id)
