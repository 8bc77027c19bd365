"""A waiting-list offer bought end to end (worker ticks, localstripe, finalize), no oversell."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.clock import now_ms
from app.core.resources import Resources
from app.core.settings import Settings
from app.holds.scripts import hold_scripts
from app.orders import finalize
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans
from tests.support.waitlist import WaitingList, small_event
from workers.control import control_tick
from workers.waitlist import waitlist_tick


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def test_an_offer_is_bought_like_any_hold(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, event = await small_event(api, 2)
    event_id = event["event_id"]
    wl = WaitingList(api.client, event_id)
    buyer, waiting = await bulk_fans(settings, 2)
    r = await h.hold(api.client, event_id, buyer, 2)
    assert r.status_code == 201, r.text
    first_hold = r.json()["hold_id"]

    # No seats on sale: the waiting list is open.
    r = await wl.join(waiting.headers, 2)
    assert r.status_code == 201, r.text

    ctx: dict[str, Any] = {"resources": resources}
    assert await waitlist_tick(ctx) == 0
    await hold_scripts(resources.scripts).expire(event_id, [first_hold], now_ms() + 3600_000)
    # The worker's tick makes the offer and writes its notice.
    assert await waitlist_tick(ctx) == 1
    assert await waitlist_tick(ctx) == 0
    assert (
        await resources.pool.fetchval("SELECT count(*) FROM outbox WHERE kind = 'waitlist_offer'")
        == 1
    )
    status = await wl.status(waiting.headers)
    assert status["state"] == "offered"
    offer = status["offer"]

    r = await h.checkout(api.client, waiting, offer["hold_id"])
    assert r.status_code == 201, r.text
    checkout = r.json()
    assert checkout["amount_cents"] == 10000
    assert (await wl.status(waiting.headers))["state"] == "accepted"
    assert await finalize.finalize_payment(resources, checkout["payment_intent_id"]) == "confirmed"
    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["confirmed"] == 1
    assert counts["sold"] == counts["tickets"] == 2
    assert h.inventory(settings, event_id) == {"capacity": 2, "available": 0, "held": 0, "sold": 2}
    # The admission cron runs beside it without targets: fixed admission, nothing steered.
    assert await control_tick(ctx) == {}
