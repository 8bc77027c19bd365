"""Holds over HTTP (in-process app, real Redis and Postgres): create, read, release, refusals."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from app.asgi import create_app
from app.core import keys
from app.core.settings import Settings
from tests.support.api import Api, User, assert_problem
from tests.support.holds import Fan, admit, assert_conserved, create_fans, inventory
from tests.support.redis_clients import connect
from tests.support.roundtrips import round_trips


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = connect(settings.redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def organizer(api: Api) -> User:
    return await api.user("organizer")


async def fans_for(settings: Settings, redis: Redis, event_id: str, n: int = 1) -> list[Fan]:
    fans = await create_fans(settings.database_url, settings.secret_key, n)
    await admit(redis, settings.secret_key, event_id, fans)
    return fans


async def hold(api: Api, fan: Fan, event_id: str, quantity: int = 2, **headers: str) -> Any:
    return await api.client.post(
        f"/api/v1/events/{event_id}/holds",
        json={"section": "FLOOR", "quantity": quantity},
        headers=fan.headers(event_id, **headers),
    )


async def test_hold_is_created_and_read_by_its_owner_only(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    event = await api.event(organizer, hold_ttl_s=600)
    ev = event["event_id"]
    fan, other = await fans_for(settings, redis, ev, 2)
    before = time.time()
    r = await hold(api, fan, ev, 3)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {
        "hold_id",
        "event_id",
        "section",
        "quantity",
        "amount_cents",
        "currency",
        "status",
        "expires_at",
    }
    assert body["event_id"] == ev
    assert body["section"] == "FLOOR"
    assert body["quantity"] == 3
    assert body["amount_cents"] == 3 * 5000
    assert body["currency"] == "EUR"
    assert body["status"] == "active"
    expires = datetime.fromisoformat(body["expires_at"]).timestamp()
    assert before + 599 <= expires <= time.time() + 601
    inv = await inventory(redis, ev)
    assert inv == {"capacity": 100, "available": 97, "held": 3, "sold": 0}
    assert await redis.hget(keys.user_seats(ev), fan.user_id) == "3"
    assert await redis.zscore(keys.hold_expiry(ev), body["hold_id"]) is not None

    r = await api.client.get(f"/api/v1/holds/{body['hold_id']}", headers=fan.headers())
    assert r.status_code == 200
    assert r.json() == body
    r = await api.client.get(f"/api/v1/holds/{body['hold_id']}", headers=other.headers())
    assert_problem(r, 404, "not_found")
    r = await api.client.delete(f"/api/v1/holds/{body['hold_id']}", headers=other.headers())
    assert_problem(r, 404, "not_found")
    r = await api.client.get("/api/v1/holds/not-a-hold", headers=fan.headers())
    assert_problem(r, 404, "not_found")
    r = await api.client.get(f"/api/v1/holds/{body['hold_id']}")
    assert_problem(r, 401, "unauthorized")


async def test_a_hold_is_one_redis_round_trip(
    api: Api, organizer: User, settings: Settings, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Limits (holds_account on by default), session, seats and records: one EVALSHA."""
    ev = (await api.event(organizer))["event_id"]
    (fan,) = await fans_for(settings, redis, ev)
    # The first hold loads the script and opens the connection; the session check
    # is cached from then on (app.auth.sessions).
    assert (await hold(api, fan, ev, 1)).status_code == 201
    with round_trips(monkeypatch) as sent:
        r = await hold(api, fan, ev, 1)
    assert r.status_code == 201, r.text
    assert sent == ["EVALSHA"]
    assert (await inventory(redis, ev))["held"] == 2


async def limited_api(settings: Settings, database_url: str, rate_limits: str) -> Api:
    app = create_app(msgspec.structs.replace(settings, rate_limits=rate_limits))
    return Api(AsyncTestClient(app=app), database_url)


async def test_holds_account_limit_refuses_the_next_hold_without_taking_seats(
    settings: Settings, redis: Redis, database_url: str
) -> None:
    api = await limited_api(settings, database_url, "holds_account=3/minute")
    async with api.client:
        organizer = await api.user("organizer")
        ev = (await api.event(organizer))["event_id"]
        fan, other = await fans_for(settings, redis, ev, 2)
        for _ in range(3):
            assert (await hold(api, fan, ev, 1)).status_code == 201
        r = await hold(api, fan, ev, 1)
        assert_problem(r, 429, "rate_limited")
        retry_after = int(r.headers["Retry-After"])
        assert 1 <= retry_after <= 60
        # Refused before any seat moved: nothing held, nothing counted toward max_per_user.
        assert (await inventory(redis, ev))["held"] == 3
        assert await redis.hget(keys.user_seats(ev), fan.user_id) == "3"
        # Refused again (a refused hit counts nothing), with an Idempotency-Key too.
        r = await hold(api, fan, ev, 1, **{"Idempotency-Key": "k-1"})
        assert_problem(r, 429, "rate_limited")
        # Per account: another fan holds.
        assert (await hold(api, other, ev, 1)).status_code == 201
        assert (await inventory(redis, ev))["held"] == 4


async def test_holds_ip_limit_counts_per_address(
    settings: Settings, redis: Redis, database_url: str
) -> None:
    api = await limited_api(settings, database_url, "holds_account=off;holds_ip=2/minute")
    async with api.client:
        organizer = await api.user("organizer")
        ev = (await api.event(organizer))["event_id"]
        fans = await fans_for(settings, redis, ev, 3)
        assert (await hold(api, fans[0], ev, 1)).status_code == 201
        assert (await hold(api, fans[1], ev, 1)).status_code == 201
        r = await hold(api, fans[2], ev, 1)
        assert_problem(r, 429, "rate_limited")
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert (await inventory(redis, ev))["held"] == 2


async def test_delete_gives_seats_back_at_once(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    ev = (await api.event(organizer))["event_id"]
    (fan,) = await fans_for(settings, redis, ev)
    hold_id = (await hold(api, fan, ev, 4)).json()["hold_id"]
    r = await api.client.delete(f"/api/v1/holds/{hold_id}", headers=fan.headers())
    assert r.status_code == 204, r.text
    assert await inventory(redis, ev) == {"capacity": 100, "available": 100, "held": 0, "sold": 0}
    assert await redis.hget(keys.user_seats(ev), fan.user_id) is None
    assert await redis.zscore(keys.hold_expiry(ev), hold_id) is None
    r = await api.client.get(f"/api/v1/holds/{hold_id}", headers=fan.headers())
    assert r.json()["status"] == "released"
    # Releasing again changes nothing.
    r = await api.client.delete(f"/api/v1/holds/{hold_id}", headers=fan.headers())
    assert r.status_code == 204
    assert (await inventory(redis, ev))["available"] == 100
    # The per-user limit counts only live seats: the fan may hold 6 again.
    assert (await hold(api, fan, ev, 6)).status_code == 201


@pytest.mark.parametrize("status", ["checking_out", "converted"])
async def test_delete_of_a_hold_in_checkout_is_409(
    api: Api, organizer: User, settings: Settings, redis: Redis, status: str
) -> None:
    ev = (await api.event(organizer))["event_id"]
    (fan,) = await fans_for(settings, redis, ev)
    hold_id = (await hold(api, fan, ev, 2)).json()["hold_id"]
    await redis.hset(keys.hold(ev, hold_id), "status", status)
    r = await api.client.delete(f"/api/v1/holds/{hold_id}", headers=fan.headers())
    assert_problem(r, 409, "hold_not_active")
    assert (await inventory(redis, ev))["held"] == 2


async def test_hold_needs_a_live_admission(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    ev = (await api.event(organizer))["event_id"]
    fan, other = await fans_for(settings, redis, ev, 2)
    url = f"/api/v1/events/{ev}/holds"
    body = {"section": "FLOOR", "quantity": 1}
    r = await api.client.post(url, json=body, headers=fan.headers())
    assert_problem(r, 403, "not_admitted")
    # Another account's token.
    r = await api.client.post(
        url, json=body, headers={**fan.headers(), "X-Admission-Token": other.admission[ev]}
    )
    assert_problem(r, 403, "not_admitted")
    # A revoked session (DELETE /queue) makes a well-signed token worthless.
    await redis.delete(keys.active_sessions(ev))
    assert_problem(await hold(api, fan, ev, 1), 403, "not_admitted")
    # An expired session.
    await admit(redis, settings.secret_key, ev, [fan])
    session = (await redis.zrange(keys.active_sessions(ev), 0, -1))[0]
    await redis.zadd(keys.active_sessions(ev), {session: int(time.time() * 1000) - 1})
    assert_problem(await hold(api, fan, ev, 1), 403, "admission_expired")
    assert (await inventory(redis, ev))["available"] == 100


async def test_sale_window_and_pause(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    now = datetime.now(UTC)
    later = await api.event(organizer, onsale_at=(now + timedelta(hours=1)).isoformat())
    (fan,) = await fans_for(settings, redis, later["event_id"])
    assert_problem(await hold(api, fan, later["event_id"]), 409, "sale_not_open")

    ev = (await api.event(organizer))["event_id"]
    await admit(redis, settings.secret_key, ev, [fan])
    r = await api.client.post(f"/api/v1/events/{ev}/pause", headers=organizer.headers)
    assert r.status_code == 200
    assert_problem(await hold(api, fan, ev), 409, "sale_not_open")
    await api.client.post(f"/api/v1/events/{ev}/resume", headers=organizer.headers)
    assert (await hold(api, fan, ev)).status_code == 201


async def test_limits_sold_out_and_bad_input(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    ev = (
        await api.event(
            organizer,
            max_per_order=4,
            max_per_user=5,
            sections=[{"code": "FLOOR", "name": "Floor", "price_cents": 100, "capacity": 8}],
        )
    )["event_id"]
    a, b, c = await fans_for(settings, redis, ev, 3)
    body = assert_problem(await hold(api, a, ev, 5), 409, "limit_exceeded")
    assert "4" in body["detail"]
    assert (await hold(api, a, ev, 4)).status_code == 201
    body = assert_problem(await hold(api, a, ev, 2), 409, "limit_exceeded")
    assert "5" in body["detail"]
    assert (await hold(api, b, ev, 3)).status_code == 201
    body = assert_problem(await hold(api, c, ev, 2), 409, "sold_out")
    assert body["detail"] == "Section FLOOR has 1 of 2 requested seats left"
    assert (await hold(api, c, ev, 1)).status_code == 201
    assert await inventory(redis, ev) == {"capacity": 8, "available": 0, "held": 8, "sold": 0}

    url = f"/api/v1/events/{ev}/holds"
    r = await api.client.post(url, json={"section": "NOPE", "quantity": 1}, headers=c.headers(ev))
    assert_problem(r, 422, "invalid_request")
    r = await api.client.post(url, json={"section": "FLOOR", "quantity": 0}, headers=c.headers(ev))
    assert_problem(r, 400, "invalid_request")


async def test_idempotent_hold_replays_and_conflicts(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    ev = (await api.event(organizer))["event_id"]
    fan, other = await fans_for(settings, redis, ev, 2)
    first = await hold(api, fan, ev, 2, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    again = await hold(api, fan, ev, 2, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert (await inventory(redis, ev))["held"] == 2
    assert_problem(
        await hold(api, fan, ev, 3, **{"Idempotency-Key": "k-1"}), 409, "idempotency_conflict"
    )
    # Keys are per account.
    theirs = await hold(api, other, ev, 2, **{"Idempotency-Key": "k-1"})
    assert theirs.status_code == 201
    assert theirs.json()["hold_id"] != first.json()["hold_id"]
    # A refusal is an outcome too: replayed as it was.
    r = await hold(api, fan, ev, 5, **{"Idempotency-Key": "k-2"})
    assert_problem(r, 409, "limit_exceeded")
    await api.client.delete(f"/api/v1/holds/{first.json()['hold_id']}", headers=fan.headers())
    r = await hold(api, fan, ev, 5, **{"Idempotency-Key": "k-2"})
    assert_problem(r, 409, "limit_exceeded")
    assert r.headers["idempotent-replayed"] == "true"
    ttl = await redis.pttl(keys.idempotency(ev, "holds", f"{fan.user_id}:k-1"))
    assert ttl >= 24 * 3600 * 1000


async def test_generic_idempotency_on_any_post(api: Api, organizer: User) -> None:
    from tests.support.api import event_body

    body = event_body(name="Once Only")
    headers = {**organizer.headers, "Idempotency-Key": "create-once"}
    results = await asyncio.gather(
        *(api.client.post("/api/v1/events", json=body, headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["event_id"] for r in results}) == 1
    conn = await asyncpg.connect(api.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM events WHERE name = 'Once Only'") == 1
    finally:
        await conn.close()
    r = await api.client.post("/api/v1/events", json=event_body(name="Other"), headers=headers)
    assert_problem(r, 409, "idempotency_conflict")
    # A request refused before doing anything can be retried with the same key.
    r = await api.client.post("/api/v1/events", json=body, headers={"Idempotency-Key": "anon-key"})
    assert_problem(r, 401, "unauthorized")
    r = await api.client.post(
        "/api/v1/events", json=body, headers={"Idempotency-Key": "bad\x7fkey", **organizer.headers}
    )
    assert_problem(r, 422, "invalid_request")


async def test_stats_show_conserved_inventory(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    ev = (await api.event(organizer))["event_id"]
    fans = await fans_for(settings, redis, ev, 3)
    for fan, q in zip(fans, (1, 2, 3), strict=True):
        assert (await hold(api, fan, ev, q)).status_code == 201
    r = await api.client.get(f"/api/v1/events/{ev}/stats", headers=organizer.headers)
    assert r.status_code == 200, r.text
    stats = r.json()
    assert stats["sections"] == [
        {"code": "FLOOR", "capacity": 100, "available": 94, "held": 6, "sold": 0}
    ]
    assert stats["holds_active"] == 3
    assert stats["orders_confirmed"] == 0
    assert stats["revenue_cents"] == 0
    assert stats["refunds"] == 0
    assert set(stats["queue"]) == {
        "waiting",
        "admitted_total",
        "active_shoppers",
        "admit_rate_per_min",
    }
    assert stats["queue"]["active_shoppers"] == 3
    r = await api.client.get(f"/api/v1/events/{ev}/stats", headers=fans[0].headers())
    assert_problem(r, 403, "forbidden")
    stranger = await api.user("organizer")
    r = await api.client.get(f"/api/v1/events/{ev}/stats", headers=stranger.headers)
    assert_problem(r, 404, "not_found")


async def test_the_public_view_shows_an_organizer_change_at_once(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    """Publish answers with the availability, and a fan's view is cached for a second; a
    withdrawal right after must not be served from either (a sold-out event drawn with
    seats on sale)."""
    ev = (await api.event(organizer))["event_id"]
    view = f"/api/v1/events/{ev}"
    assert [s["available"] for s in (await api.client.get(view)).json()["sections"]] == [100]
    url = f"/api/v1/events/{ev}/sections/FLOOR/capacity"
    r = await api.client.post(url, json={"delta": -100}, headers=organizer.headers)
    assert r.status_code == 200, r.text
    assert [s["available"] for s in (await api.client.get(view)).json()["sections"]] == [0]
    r = await api.client.post(url, json={"delta": 30}, headers=organizer.headers)
    assert r.status_code == 200, r.text
    assert [s["available"] for s in (await api.client.get(view)).json()["sections"]] == [30]
    # A fan holds 4 within the second the view is cached: the organizer's answer is exact.
    (fan,) = await fans_for(settings, redis, ev)
    assert (await hold(api, fan, ev, 4)).status_code == 201
    r = await api.client.post(f"/api/v1/events/{ev}/pause", headers=organizer.headers)
    assert [s["available"] for s in r.json()["sections"]] == [26]


async def test_capacity_changes_live_never_below_committed(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    ev = (
        await api.event(
            organizer,
            sections=[{"code": "FLOOR", "name": "Floor", "price_cents": 100, "capacity": 10}],
        )
    )["event_id"]
    (fan,) = await fans_for(settings, redis, ev)
    assert (await hold(api, fan, ev, 4)).status_code == 201
    url = f"/api/v1/events/{ev}/sections/FLOOR/capacity"
    r = await api.client.post(url, json={"delta": 5}, headers=organizer.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "code": "FLOOR",
        "name": "Floor",
        "price_cents": 100,
        "capacity": 15,
        "available": 11,
        "seated": False,
    }
    assert await inventory(redis, ev) == {"capacity": 15, "available": 11, "held": 4, "sold": 0}
    r = await api.client.post(url, json={"delta": -12}, headers=organizer.headers)
    assert_problem(r, 409, "capacity_below_committed")
    r = await api.client.post(url, json={"delta": -11}, headers=organizer.headers)
    assert r.status_code == 200
    assert r.json()["capacity"] == 4
    assert await inventory(redis, ev) == {"capacity": 4, "available": 0, "held": 4, "sold": 0}
    conn = await asyncpg.connect(settings.database_url)
    try:
        assert (
            await conn.fetchval(
                "SELECT capacity FROM sections WHERE event_id = $1 AND code = 'FLOOR'",
                uuid.UUID(ev),
            )
            == 4
        )
        deltas = await conn.fetch(
            "SELECT delta_capacity FROM inventory_ledger WHERE event_id = $1 ORDER BY entry_id",
            uuid.UUID(ev),
        )
        assert [d["delta_capacity"] for d in deltas] == [5, -11]
    finally:
        await conn.close()
    r = await api.client.post(url, json={"delta": 1}, headers=fan.headers())
    assert_problem(r, 403, "forbidden")
    r = await api.client.post(
        f"/api/v1/events/{ev}/sections/NOPE/capacity", json={"delta": 1}, headers=organizer.headers
    )
    assert_problem(r, 404, "not_found")


async def test_public_availability_comes_from_redis_cached_at_most_a_second(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    ev = (await api.event(organizer))["event_id"]
    (fan,) = await fans_for(settings, redis, ev)
    r = await api.client.get(f"/api/v1/events/{ev}")
    assert r.json()["sections"][0]["available"] == 100
    started = time.monotonic()
    assert (await hold(api, fan, ev, 2)).status_code == 201
    r = await api.client.get(f"/api/v1/events/{ev}")
    if time.monotonic() - started < 0.9:
        assert r.json()["sections"][0]["available"] == 100  # served from the 1 s cache
    await asyncio.sleep(1.05)
    r = await api.client.get(f"/api/v1/events/{ev}")
    assert r.json()["sections"][0]["available"] == 98
    assert_conserved(await inventory(redis, ev))
