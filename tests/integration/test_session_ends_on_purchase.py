"""Finding 6: a fan's shopping session ends when the purchase completes, so with
max_active_shoppers 3 and 10 fans who each buy at once, all 10 buy without any session
timing out."""

from __future__ import annotations

from typing import Any

import pytest

from app.core import keys
from app.core.clock import now_ms
from app.core.resources import Resources
from app.core.settings import Settings
from app.orders import finalize
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans
from waiting_room import admission

INTERVAL_S = 1


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def test_ten_buyers_through_a_cap_of_three(
    api: Api, settings: Settings, resources: Resources
) -> None:
    org = await api.user("organizer")
    room = {
        "enabled": True,
        "admit_batch_size": 3,
        "admit_interval_s": INTERVAL_S,
        "max_active_shoppers": 3,
        "session_ttl_s": 900,  # a timeout would take 15 minutes: none may be needed
    }
    event_id = (await api.event(org, waiting_room=room))["event_id"]
    fans = await bulk_fans(settings, 10)
    url = f"/api/v1/events/{event_id}/queue"
    for fan in fans:
        assert (await api.client.post(url, headers=fan.headers)).status_code == 201
    bought: set[str] = set()
    clock = now_ms()
    ticks = 0
    for _ in range(8):
        ticks += 1
        clock += INTERVAL_S * 1000 + 50
        await admission.tick(resources.scripts, event_id, clock)
        for fan in fans:
            if fan.user_id in bought:
                continue
            status = (await api.client.get(url, headers=fan.headers)).json()
            if status["state"] != "admitted":
                continue
            r = await h.hold_with(api.client, event_id, fan, status["admission_token"], 1)
            assert r.status_code == 201, r.text
            checkout: dict[str, Any] = (
                await h.checkout(api.client, fan, r.json()["hold_id"])
            ).json()
            assert await finalize.finalize_payment(resources, checkout["payment_intent_id"]) == (
                "confirmed"
            )
            bought.add(fan.user_id)
        if len(bought) == len(fans):
            break
    assert len(bought) == 10, f"{len(bought)} bought after {ticks} ticks"
    assert ticks <= 5  # 3 + 3 + 3 + 1: one tick per batch, no session timeouts
    # Every finished buyer's session is over.
    assert await resources.redis.zcount(keys.active_sessions(event_id), f"({now_ms()}", "+inf") == 0
    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["confirmed"] == 10
