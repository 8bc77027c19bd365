"""QueueStatus.chance over HTTP (real Redis and Postgres): absent before data, then by place."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from app.admission import service
from app.core import keys
from app.core.resources import Resources
from app.core.settings import Settings
from tests.support.api import Api, bulk_fans
from tests.support.holds import admit, create_fans
from tests.support.queue import room
from waiting_room import chance
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


async def test_the_ledger_counts_holds_paid_late_and_holds_that_expired(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """The admission cron copies the holds ledger into the event's control hash: besides
    paid and lapsed holds, those whose order was written after half the hold's life (a
    checkout slowed by load) and those that expired. The odds read them with the rest."""
    org = await api.user("organizer")
    fan = await api.user()
    event = await api.event(org)
    event_id = event["event_id"]
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    # (hold, status, order written this many seconds after the hold, of a 60 s life)
    ledger = [
        ("h-fast", "converted", 5),
        ("h-late", "converted", 40),
        ("h-late-2", "converted", 31),
        ("h-gone", "expired", None),
        ("h-left", "released", None),
    ]
    conn = await asyncpg.connect(settings.database_url)
    try:
        for hold_id, status, order_after in ledger:
            await conn.execute(
                "INSERT INTO holds (hold_id, event_id, section_code, user_id, quantity,"
                " amount_cents, currency, status, created_at, expires_at)"
                " VALUES ($1, $2, 'FLOOR', $3, 2, 10000, 'EUR', $4, $5, $6)",
                hold_id,
                uuid.UUID(event_id),
                uuid.UUID(fan.user_id),
                status,
                t0,
                t0 + timedelta(seconds=60),
            )
            if order_after is not None:
                await conn.execute(
                    "INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code,"
                    " quantity, status, amount_cents, currency, created_at)"
                    " VALUES ($1, $2, $3, $4, 'FLOOR', 2, 'confirmed', 10000, 'EUR', $5)",
                    uuid.uuid4(),
                    uuid.UUID(event_id),
                    uuid.UUID(fan.user_id),
                    hold_id,
                    t0 + timedelta(seconds=order_after),
                )
    finally:
        await conn.close()
    await service.refresh_odds(resources.pool, resources.redis, event_id)
    ctl = await resources.redis.hgetall(keys.admission_control(event_id))  # type: ignore[misc]
    assert {k: ctl[k] for k in ctl if k.startswith("odds_")} == {
        "odds_holds": "5",
        "odds_holders": "1",
        "odds_seats": "10",
        "odds_converted": "3",
        "odds_lapsed": "2",
        "odds_late_paid": "2",
        "odds_expired": "1",
    }
    chance._cache.clear()
    odds = await chance.odds(resources.redis, event_id)
    # 1 expired and 2 paid late: blended with the prior (all stale holds expire, as 5).
    assert odds.stale_lapse == (1 + 5) / (3 + 5)
