"""Waiting room over HTTP (in-process app, real Redis and Postgres): join, status, leave."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from msgspec.structs import replace

from app.asgi import create_app
from app.core import keys
from app.core.clock import now_ms
from app.core.settings import Settings
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans
from tests.support.queue import Admitter, room
from tests.support.roundtrips import round_trips
from waiting_room import tokens
from waiting_room.stats import queue_stats


def q(event: dict[str, Any]) -> str:
    return f"/api/v1/events/{event['event_id']}/queue"


@pytest.fixture
async def admitter(settings: Settings) -> AsyncIterator[Admitter]:
    a = Admitter(settings)
    yield a
    await a.close()


async def test_join_is_idempotent_and_admission_follows(
    api: Api, settings: Settings, admitter: Admitter
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room(admit_batch_size=2))
    fans = await bulk_fans(settings, 3)
    for i, fan in enumerate(fans):
        r = await api.client.post(q(event), headers=fan.headers)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["state"] == "waiting"
        assert body["position"] == i + 1
        assert body["ahead"] == i
        assert 2 <= body["poll_after_s"] <= 60
        assert "admission_token" not in body
    again = await api.client.post(q(event), headers=fans[1].headers)
    assert again.status_code == 200
    assert again.json()["position"] == 2

    result = await admitter.tick(event["event_id"])
    assert (result.outcome, result.admitted) == ("admitted", 2)
    # Not due again within the interval: exactly one batch per tick.
    assert (await admitter.tick(event["event_id"])).outcome == "not_due"

    first = (await api.client.get(q(event), headers=fans[0].headers)).json()
    assert first["state"] == "admitted"
    admission = tokens.verify(
        settings.secret_key,
        first["admission_token"],
        event_id=event["event_id"],
        user_id=fans[0].user_id,
    )
    assert await api.client.get(q(event), headers=fans[2].headers) is not None
    third = (await api.client.get(q(event), headers=fans[2].headers)).json()
    assert third["state"] == "waiting"
    assert third["position"] == 1
    stats = await queue_stats(admitter.redis, event["event_id"])
    assert (stats.waiting, stats.admitted_total, stats.active_shoppers) == (1, 2, 2)
    assert stats.admit_rate_per_min > 0

    # DELETE ends the session at once: the slot is free and the session gone.
    active = keys.active_sessions(event["event_id"])
    assert await admitter.redis.zscore(active, admission.session_id) is not None
    r = await api.client.delete(q(event), headers=fans[0].headers)
    assert r.status_code == 204
    assert await admitter.redis.zscore(active, admission.session_id) is None
    r = await api.client.get(q(event), headers=fans[0].headers)
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    # Rejoining goes to the back.
    r = await api.client.post(q(event), headers=fans[0].headers)
    assert r.status_code == 201
    assert r.json()["position"] == 2


async def test_disabled_room_admits_at_once_and_counts(
    api: Api, settings: Settings, admitter: Admitter
) -> None:
    org = await api.user("organizer")
    event = await api.event(org)  # waiting room disabled by default in tests
    (fan,) = await bulk_fans(settings, 1)
    r = await api.client.post(q(event), headers=fan.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "admitted"
    assert body["admission_token"]
    assert datetime.fromisoformat(body["admission_expires_at"]) > datetime.now(UTC)
    again = await api.client.post(q(event), headers=fan.headers)
    assert again.status_code == 200
    assert again.json()["admission_token"] == body["admission_token"]
    assert await admitter.redis.zcard(keys.active_sessions(event["event_id"])) == 1


async def test_unknown_draft_and_not_open(api: Api, settings: Settings) -> None:
    org = await api.user("organizer")
    (fan,) = await bulk_fans(settings, 1)
    r = await api.client.post("/api/v1/events/not-an-id/queue", headers=fan.headers)
    assert r.status_code == 404
    draft = await api.event(org, publish=False, waiting_room=room())
    r = await api.client.post(q(draft), headers=fan.headers)
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    r = await api.client.post(q(draft))
    assert r.status_code == 401
    now = datetime.now(UTC)
    later = await api.event(
        org,
        onsale_at=(now + timedelta(hours=2)).isoformat(),
        waiting_room=room(prequeue_opens_at=(now + timedelta(hours=1)).isoformat()),
    )
    r = await api.client.post(q(later), headers=fan.headers)
    assert r.status_code == 409
    assert r.json()["code"] == "sale_not_open"
    r = await api.client.get(q(later), headers=fan.headers)
    assert r.status_code == 404


async def test_prequeue_then_waiting(api: Api, settings: Settings) -> None:
    org = await api.user("organizer")
    now = datetime.now(UTC)
    event = await api.event(
        org, onsale_at=(now + timedelta(seconds=2)).isoformat(), waiting_room=room()
    )
    (fan,) = await bulk_fans(settings, 1)
    r = await api.client.post(q(event), headers=fan.headers)
    assert r.status_code == 201
    body = r.json()
    assert body["state"] == "prequeue"
    assert body["position"] == 1
    assert body["eta_s"] >= 1
    await asyncio.sleep(max(0.0, 2.1 - (datetime.now(UTC) - now).total_seconds()))
    body = (await api.client.get(q(event), headers=fan.headers)).json()
    assert body["state"] == "waiting"


async def test_sold_out_room_closes_and_reopens(
    api: Api, settings: Settings, admitter: Admitter
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room(admit_batch_size=1))
    ev = event["event_id"]
    fans = await bulk_fans(settings, 3)
    for fan in fans[:2]:
        assert (await api.client.post(q(event), headers=fan.headers)).status_code == 201
    inv = keys.inventory(ev)
    # Seats all sold (what the hold and finalize paths do, conserving capacity).
    await admitter.redis.hset(
        inv, mapping={"FLOOR:available": 0, "FLOOR:held": 0, "FLOOR:sold": 100}
    )
    assert (await admitter.tick(ev)).outcome == "closed"
    body = (await api.client.get(q(event), headers=fans[0].headers)).json()
    assert body["state"] == "closed"
    r = await api.client.post(q(event), headers=fans[2].headers)
    assert r.status_code == 200
    assert r.json()["state"] == "closed"
    # A held seat could come back: the room is open again, order kept, but nobody is
    # admitted to a shop with no seat to sell.
    await admitter.redis.hset(inv, mapping={"FLOOR:held": 1, "FLOOR:sold": 99})
    body = (await api.client.get(q(event), headers=fans[0].headers)).json()
    assert body["state"] == "waiting"
    assert body["position"] == 1
    result = await admitter.tick(ev)
    assert (result.outcome, result.admitted) == ("admitted", 0)
    assert (await api.client.get(q(event), headers=fans[0].headers)).json()["state"] == "waiting"
    # The seat comes back: the first fan in line gets it.
    await admitter.redis.hset(inv, mapping={"FLOOR:held": 0, "FLOOR:available": 1})
    result = await admitter.tick(ev, now_ms=now_ms() + 1500)
    assert (result.outcome, result.admitted) == ("admitted", 1)
    assert (await api.client.get(q(event), headers=fans[0].headers)).json()["state"] == "admitted"


async def test_the_room_admits_no_more_fans_than_the_seats_left_can_serve(
    api: Api, settings: Settings, admitter: Admitter
) -> None:
    """Inventory-aware admission: 6 seats, 20 fans in line, a batch of 50. Nobody is told
    "it's your turn" for a seat that admitted shoppers will take first."""
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 6}]
    event = await api.event(
        org,
        sections=sections,
        max_per_order=2,
        max_per_user=2,
        waiting_room=room(admit_batch_size=50),
    )
    ev = event["event_id"]
    fans = await bulk_fans(settings, 20)
    for fan in fans:
        assert (await api.client.post(q(event), headers=fan.headers)).status_code == 201
    t = now_ms()
    result = await admitter.tick(ev, now_ms=t)
    # Until holds are measured a fan counts for a whole order: 6 seats, 2 a fan.
    assert (result.outcome, result.admitted) == ("admitted", 3)

    tokens_of = {}
    for fan in fans[:3]:
        body = (await api.client.get(q(event), headers=fan.headers)).json()
        assert body["state"] == "admitted"
        tokens_of[fan.user_id] = body["admission_token"]
    assert (await api.client.get(q(event), headers=fans[3].headers)).json()["state"] == "waiting"
    holds = []
    for fan in fans[:3]:
        r = await h.hold_with(api.client, ev, fan, tokens_of[fan.user_id], 2)
        assert r.status_code == 201, r.text
        holds.append(r.json()["hold_id"])
    # Sold out for now (6 held): nobody new is admitted.
    result = await admitter.tick(ev, now_ms=t + 1500)
    assert (result.outcome, result.admitted) == ("admitted", 0)
    assert (await api.client.get(q(event), headers=fans[3].headers)).json()["state"] == "waiting"

    # Two seats come back, but the fan who gave them back still shops and may take them
    # again: nobody new yet. Once it leaves, one fan (a whole order of 2) gets a turn.
    r = await api.client.delete(f"/api/v1/holds/{holds[0]}", headers=fans[0].headers)
    assert r.status_code in (200, 204), r.text
    result = await admitter.tick(ev, now_ms=t + 3000)
    assert (result.outcome, result.admitted) == ("admitted", 0)
    assert (await api.client.delete(q(event), headers=fans[0].headers)).status_code == 204
    result = await admitter.tick(ev, now_ms=t + 4500)
    assert (result.outcome, result.admitted) == ("admitted", 1)
    assert (await api.client.get(q(event), headers=fans[3].headers)).json()["state"] == "admitted"
    assert (await api.client.get(q(event), headers=fans[4].headers)).json()["state"] == "waiting"


async def test_pause_stops_admission_and_resume_continues(
    api: Api, settings: Settings, admitter: Admitter
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room(admit_batch_size=1))
    ev = event["event_id"]
    fans = await bulk_fans(settings, 2)
    for fan in fans:
        await api.client.post(q(event), headers=fan.headers)
    r = await api.client.post(f"/api/v1/events/{ev}/pause", headers=org.headers)
    assert r.status_code == 200
    assert (await admitter.tick(ev)).outcome == "paused"
    assert (await api.client.get(q(event), headers=fans[0].headers)).json()["state"] == "waiting"
    await api.client.post(f"/api/v1/events/{ev}/resume", headers=org.headers)
    result = await admitter.tick(ev)
    assert (result.outcome, result.admitted) == ("admitted", 1)
    assert (await api.client.get(q(event), headers=fans[0].headers)).json()["state"] == "admitted"
    assert (await api.client.get(q(event), headers=fans[1].headers)).json()["position"] == 1


async def test_no_show_is_skipped_and_comes_back_first(
    api: Api, settings: Settings, admitter: Admitter
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room(admit_batch_size=1))
    ev = event["event_id"]
    fans = await bulk_fans(settings, 3)
    for fan in fans:
        await api.client.post(q(event), headers=fan.headers)
    # Four minutes later only fans 1 and 2 have kept polling.
    later = int(time.time() * 1000) + 240_000
    from app.core import keys
    from waiting_room.scripts import window_of

    for seq in (2, 3):
        await admitter.redis.setbit(keys.queue_seen(ev, window_of(later)), seq, 1)
    result = await admitter.tick(ev, later)
    assert (result.outcome, result.admitted, result.skipped) == ("admitted", 1, 1)
    assert (await api.client.get(q(event), headers=fans[1].headers)).json()["state"] == "admitted"
    # Fan 0 returns within the grace period: next in line, ahead of fan 2.
    body = (await api.client.get(q(event), headers=fans[0].headers)).json()
    assert body["state"] == "waiting"
    assert body["position"] == 1
    assert (await api.client.get(q(event), headers=fans[2].headers)).json()["position"] == 2
    result = await admitter.tick(ev, later + 1000)
    assert result.admitted == 1
    assert (await api.client.get(q(event), headers=fans[0].headers)).json()["state"] == "admitted"


async def test_no_show_after_grace_sees_expired_and_rejoins_at_back(
    api: Api, settings: Settings, admitter: Admitter
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room(admit_batch_size=1))
    ev = event["event_id"]
    fans = await bulk_fans(settings, 2)
    for fan in fans:
        await api.client.post(q(event), headers=fan.headers)
    skip_at = int(time.time() * 1000) - 3_600_000  # an hour ago, long past the grace
    from app.core import keys
    from waiting_room.members import member_of

    await admitter.redis.zadd(keys.queue_skipped(ev), {member_of(fans[0].user_id): skip_at})
    await admitter.redis.zrem(keys.queue_line(ev), member_of(fans[0].user_id))
    body = (await api.client.get(q(event), headers=fans[0].headers)).json()
    assert body["state"] == "expired"
    r = await api.client.post(q(event), headers=fans[0].headers)
    assert r.status_code == 201
    assert r.json()["position"] == 2


async def test_entrant_export_is_organizer_only(api: Api, settings: Settings) -> None:
    org = await api.user("organizer")
    other = await api.user("organizer")
    event = await api.event(org, waiting_room=room(mode="random_at_open"))
    (fan,) = await bulk_fans(settings, 1)
    url = q(event) + "/entrants"
    assert (await api.client.get(url, headers=fan.headers)).status_code == 403
    assert (await api.client.get(url, headers=other.headers)).status_code == 404
    r = await api.client.get(url, headers=org.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sealed"] is False
    assert body["entrants"] == []
    assert body["seed"] is not None  # on sale since 5 minutes ago: revealed


async def test_the_join_limits_cost_no_round_trip_of_their_own(
    settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """queue_join_account and queue_join_ip are counted by the join script itself."""
    sent: dict[str, list[str]] = {}
    for limits in ("off", "queue_join_account=60/minute;queue_join_ip=300/minute"):
        api = Api(
            AsyncTestClient(app=create_app(replace(settings, rate_limits=limits))), database_url
        )
        async with api.client:
            org = await api.user("organizer")
            event = await api.event(org, waiting_room=room())
            first, second = await bulk_fans(settings, 2)
            assert (await api.client.post(q(event), headers=first.headers)).status_code == 201
            # Warm: the session check of `second` is cached, as on any later request.
            await api.client.get(q(event), headers=second.headers)
            with round_trips(monkeypatch) as sent[limits]:
                r = await api.client.post(q(event), headers=second.headers)
            assert r.status_code == 201, r.text
    assert sent["off"] == sent["queue_join_account=60/minute;queue_join_ip=300/minute"]


async def test_the_join_limit_still_limits(settings: Settings, database_url: str) -> None:
    limits = "queue_join_account=2/minute"
    api = Api(AsyncTestClient(app=create_app(replace(settings, rate_limits=limits))), database_url)
    async with api.client:
        org = await api.user("organizer")
        event = await api.event(org, waiting_room=room())
        fan, other = await bulk_fans(settings, 2)
        assert (await api.client.post(q(event), headers=fan.headers)).status_code == 201
        assert (await api.client.post(q(event), headers=fan.headers)).status_code == 200
        r = await api.client.post(q(event), headers=fan.headers)
        assert r.status_code == 429, r.text
        assert r.json()["code"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert (await api.client.post(q(event), headers=other.headers)).status_code == 201
