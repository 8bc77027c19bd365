"""Discount codes over HTTP (in-process app, real Redis, Postgres and Stripe stand-in): the
organizer's codes, a hold that carries one (amount, refusals, give-back), the PaymentIntent's
amount, and a 100-use code under a storm of 1,000 concurrent holds: exactly 100 uses."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from app.core import keys
from app.core.settings import Settings
from app.orders import finalize
from tests.support import checkout as h
from tests.support.api import Api, User, assert_problem
from tests.support.holds import Fan, admit, assert_conserved, create_fans, inventory
from tests.support.redis_clients import connect
from tests.support.roundtrips import round_trips

SECTIONS = [
    {"code": "FLOOR", "name": "Floor", "price_cents": 4999, "capacity": 100},
    {"code": "BALCONY", "name": "Balcony", "price_cents": 3000, "capacity": 100},
]


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = connect(settings.redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def fans_for(settings: Settings, redis: Redis, event_id: str, n: int = 1) -> list[Fan]:
    fans = await create_fans(settings.database_url, settings.secret_key, n)
    await admit(redis, settings.secret_key, event_id, fans)
    return fans


async def new_code(api: Api, org: User, event_id: str, **body: Any) -> dict[str, Any]:
    r = await api.client.post(
        f"/api/v1/events/{event_id}/discounts", json=body, headers=org.headers
    )
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def hold(
    api: Api, fan: Fan, event_id: str, quantity: int = 2, section: str = "FLOOR", **extra: Any
) -> Any:
    return await api.client.post(
        f"/api/v1/events/{event_id}/holds",
        json={"section": section, "quantity": quantity, **extra},
        headers=fan.headers(event_id),
    )


async def uses(api: Api, org: User, event_id: str) -> dict[str, int]:
    r = await api.client.get(f"/api/v1/events/{event_id}/discounts", headers=org.headers)
    assert r.status_code == 200, r.text
    return {d["code"]: d["used"] for d in r.json()["items"]}


async def test_organizer_creates_lists_and_disables_codes_with_clear_refusals(
    api: Api, settings: Settings
) -> None:
    org = await api.user("organizer")
    other = await api.user("organizer")
    ev = (await api.event(org, sections=SECTIONS))["event_id"]
    made = await new_code(api, org, ev, code="summer20", percent_off=20, max_uses=50)
    assert made["code"] == "SUMMER20"  # one spelling: fans may type it in any case
    assert (made["max_uses"], made["used"], made["percent_off"]) == (50, 0, 20)
    url = f"/api/v1/events/{ev}/discounts"
    # Exactly one of percent and amount; a known section; a new code; the organizer's event.
    for body, field in (
        ({"code": "BOTH", "percent_off": 5, "amount_off_cents": 100, "max_uses": 1}, "percent_off"),
        ({"code": "NONE", "max_uses": 1}, "percent_off"),
        ({"code": "BIG", "percent_off": 101, "max_uses": 1}, "percent_off"),
        ({"code": "ZERO", "amount_off_cents": 100, "max_uses": 0}, "max_uses"),
        ({"code": "NOSEC", "percent_off": 5, "max_uses": 1, "section": "PIT"}, "section"),
        ({"code": "bad code", "percent_off": 5, "max_uses": 1}, "code"),
    ):
        # 400 when the body's shape is wrong, 422 when its values break a rule (API.md).
        r = await api.client.post(url, json=body, headers=org.headers)
        problem = assert_problem(r, 400 if r.status_code == 400 else 422, "invalid_request")
        assert any(field in e["field"] for e in problem["errors"]), problem
    r = await api.client.post(
        url, json={"code": "Summer20", "amount_off_cents": 100, "max_uses": 1}, headers=org.headers
    )
    assert_problem(r, 409, "code_taken")
    r = await api.client.post(
        url, json={"code": "MINE", "percent_off": 5, "max_uses": 1}, headers=other.headers
    )
    assert_problem(r, 404, "not_found")
    assert (await api.client.get(url, headers=other.headers)).status_code == 404
    listed = (await api.client.get(url, headers=org.headers)).json()["items"]
    assert [(d["code"], d["used"], d.get("disabled", False)) for d in listed] == [
        ("SUMMER20", 0, False)
    ]
    r = await api.client.post(f"{url}/{made['discount_id']}/disable", headers=org.headers)
    assert r.status_code == 200, r.text
    assert r.json()["disabled"] is True
    r = await api.client.post(f"{url}/{uuid.uuid4()}/disable", headers=org.headers)
    assert_problem(r, 404, "not_found")


async def test_a_code_lowers_the_hold_and_the_payment_and_goes_back_with_the_hold(
    api: Api, settings: Settings, redis: Redis, resources: Any, stripe_base: str
) -> None:
    org = await api.user("organizer")
    ev = (await api.event(org, sections=SECTIONS))["event_id"]
    await new_code(api, org, ev, code="TENOFF", amount_off_cents=1000, max_uses=2)
    await new_code(api, org, ev, code="THIRD", percent_off=33, max_uses=5)
    await new_code(api, org, ev, code="BALC", percent_off=50, max_uses=5, section="BALCONY")
    a, b, c = await fans_for(settings, redis, ev, 3)

    r = await hold(api, a, ev, 2, discount_code="third")
    assert r.status_code == 201, r.text
    first = r.json()
    # 33 % of 9,998 cents is 3,299.34: 3,299 off (down to the cent), the fan pays 6,699.
    assert (first["amount_cents"], first["discount_code"], first["discount_cents"]) == (
        6699,
        "THIRD",
        3299,
    )
    again = (await api.client.get(f"/api/v1/holds/{first['hold_id']}", headers=a.headers())).json()
    assert (again["amount_cents"], again["discount_cents"]) == (6699, 3299)

    # Refusals take nothing: no seats, no use.
    before = await inventory(redis, ev)
    assert_problem(await hold(api, b, ev, 1, discount_code="NOPE"), 404, "not_found")
    assert_problem(await hold(api, b, ev, 1, discount_code="BALC"), 409, "code_not_applicable")
    assert await inventory(redis, ev) == before
    r = await hold(api, b, ev, 1, section="BALCONY", discount_code="BALC")
    assert r.status_code == 201, r.text
    assert r.json()["amount_cents"] == 1500

    # A fixed amount comes off the order; the PaymentIntent asks for what the hold says.
    r = await hold(api, c, ev, 1, discount_code="tenoff")
    assert r.status_code == 201, r.text
    fixed = r.json()
    assert fixed["amount_cents"] == 3999
    assert (await uses(api, org, ev))["TENOFF"] == 1
    pay = await h.checkout(api.client, User(c.user_id, "", "", c.access_token), fixed["hold_id"])
    assert pay.status_code == 201, pay.text
    assert pay.json()["amount_cents"] == 3999
    assert h.intent(stripe_base, pay.json()["payment_intent_id"])["amount"] == 3999
    assert await finalize.finalize_payment(resources, pay.json()["payment_intent_id"]) == (
        "confirmed"
    )
    order = (
        await api.client.get(f"/api/v1/orders/{pay.json()['order_id']}", headers=c.headers())
    ).json()
    assert order["amount_cents"] == 3999

    # Released: the use goes back; sold: it stays.
    assert (await uses(api, org, ev))["THIRD"] == 1
    r = await api.client.delete(f"/api/v1/holds/{first['hold_id']}", headers=a.headers())
    assert r.status_code == 204, r.text
    counted = await uses(api, org, ev)
    assert (counted["THIRD"], counted["TENOFF"], counted["BALC"]) == (0, 1, 1)
    for section in ("FLOOR", "BALCONY"):
        assert_conserved(await inventory(redis, ev, section))

    # A disabled code takes no new use.
    listed = (await api.client.get(f"/api/v1/events/{ev}/discounts", headers=org.headers)).json()[
        "items"
    ]
    third = next(d for d in listed if d["code"] == "THIRD")
    await api.client.post(
        f"/api/v1/events/{ev}/discounts/{third['discount_id']}/disable", headers=org.headers
    )
    assert_problem(await hold(api, a, ev, 1, discount_code="THIRD"), 404, "not_found")


async def test_a_replayed_hold_with_a_code_takes_one_use_and_one_round_trip(
    api: Api, settings: Settings, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await api.user("organizer")
    ev = (await api.event(org, sections=SECTIONS))["event_id"]
    await new_code(api, org, ev, code="ONCE", percent_off=10, max_uses=1)
    (fan,) = await fans_for(settings, redis, ev)
    assert (await hold(api, fan, ev, 1)).status_code == 201  # script loaded, session cached
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"section": "FLOOR", "quantity": 1, "discount_code": "ONCE"}
    with round_trips(monkeypatch) as sent:
        r = await api.client.post(
            f"/api/v1/events/{ev}/holds", json=body, headers=fan.headers(ev, **key)
        )
    assert r.status_code == 201, r.text
    assert sent == ["EVALSHA"]
    replay = await api.client.post(
        f"/api/v1/events/{ev}/holds", json=body, headers=fan.headers(ev, **key)
    )
    assert replay.status_code == 201
    assert replay.json()["hold_id"] == r.json()["hold_id"]
    assert replay.headers.get("Idempotent-Replayed") == "true"
    # The same key with another code is another body.
    other = await api.client.post(
        f"/api/v1/events/{ev}/holds",
        json={**body, "discount_code": "OTHER"},
        headers=fan.headers(ev, **key),
    )
    assert_problem(other, 409, "idempotency_conflict")
    assert (await uses(api, org, ev))["ONCE"] == 1
    assert_problem(await hold(api, fan, ev, 1, discount_code="ONCE"), 409, "code_exhausted")


@pytest.mark.slow
async def test_a_100_use_code_under_1000_concurrent_holds_is_used_exactly_100_times(
    api: Api, settings: Settings, redis: Redis
) -> None:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 2000}]
    ev = (await api.event(org, sections=sections))["event_id"]
    await new_code(api, org, ev, code="STORM", percent_off=25, max_uses=100)
    fans = await fans_for(settings, redis, ev, 1000)
    responses = await asyncio.gather(
        *(hold(api, fan, ev, 1, discount_code="STORM") for fan in fans)
    )
    statuses = [r.status_code for r in responses]
    created = [r.json() for r in responses if r.status_code == 201]
    refused = [r.json()["code"] for r in responses if r.status_code != 201]
    assert len(created) == 100, sorted(set(statuses))
    assert refused == ["code_exhausted"] * 900
    assert all(c["amount_cents"] == 3750 for c in created)
    assert (await uses(api, org, ev))["STORM"] == 100
    assert int(await redis.hget(keys.discounts(ev), "STORM:used")) == 100  # type: ignore[misc]
    inv = await inventory(redis, ev)
    assert_conserved(inv)
    assert inv["held"] == 100
