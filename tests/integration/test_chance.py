"""QueueStatus.chance over HTTP (real Redis and Postgres): absent before data, then by place."""

from __future__ import annotations

import asyncio
from typing import Any

from app.core.resources import Resources
from app.core.settings import Settings
from tests.support.api import Api, bulk_fans
from tests.support.holds import admit, create_fans
from tests.support.queue import room
from waiting_room.chance import CACHE_S


async def test_chance_follows_the_place_in_line(
    api: Api, settings: Settings, resources: Resources
) -> None:
    org = await api.user("organizer")
    event = await api.event(
        org,
        max_per_user=2,
        max_per_order=2,
        sections=[{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 40}],
        waiting_room=room(admit_batch_size=5),
    )
    event_id = event["event_id"]
    queue = f"/api/v1/events/{event_id}/queue"
    waiting = await bulk_fans(settings, 30)
    r = await api.client.post(queue, headers=waiting[0].headers)
    assert r.status_code == 201
    # No hold seen yet: the chance cannot be known, so it is left out.
    assert "chance" not in r.json()

    shoppers = await create_fans(settings.database_url, settings.secret_key, 10)
    await admit(resources.redis, settings.secret_key, event_id, shoppers)
    for fan in shoppers:
        r = await api.client.post(
            f"/api/v1/events/{event_id}/holds",
            json={"section": "FLOOR", "quantity": 2},
            headers=fan.headers(event_id),
        )
        assert r.status_code == 201, r.text
    for fan in waiting[1:]:
        assert (await api.client.post(queue, headers=fan.headers)).status_code == 201
    await asyncio.sleep(CACHE_S + 0.1)

    shown: list[Any] = []
    for fan in waiting:
        body = (await api.client.get(queue, headers=fan.headers)).json()
        assert body["state"] == "waiting"
        shown.append(body["chance"])
    # 20 seats left at about 2 a fan: the first few are nearly sure, the last nearly not.
    assert shown == sorted(shown, reverse=True)
    assert shown[0] >= 0.8
    assert shown[-1] <= 0.2
    assert all(0 < c < 1 for c in shown)
