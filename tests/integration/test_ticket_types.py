"""Ticket types over HTTP (in-process app, real Redis, Postgres and Stripe stand-in): the
organizer's editor, a hold with mixed types priced per line through fees and tax, the
companion rule, the order, receipt and tickets that name their types, a refund that gives
back per type, reconcile over the types, and a type's quota under a storm of concurrent holds
(no oversell per type or section)."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pypdf
import pytest
from redis.asyncio import Redis

from app.core import keys
from app.core.errors import AppError
from app.core.settings import Settings
from app.holds.reconcile import reconcile_event
from app.orders import finalize, refunds
from app.waitlist import service as waitlist
from app.waitlist.schemas import WaitlistIn
from tests.support import checkout as h
from tests.support.api import Api, User, assert_problem
from tests.support.holds import Fan, admit, assert_conserved, create_fans, inventory
from tests.support.redis_clients import connect

SECTIONS = [
    {"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 10},
    {"code": "BALCONY", "name": "Balcony", "price_cents": 3000, "capacity": 50},
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


def types_url(event_id: str, section: str = "FLOOR") -> str:
    return f"/api/v1/events/{event_id}/sections/{section}/types"


async def new_type(api: Api, org: User, event_id: str, section: str = "FLOOR", **body: Any) -> Any:
    r = await api.client.post(types_url(event_id, section), json=body, headers=org.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def typed_event(api: Api, org: User) -> str:
    """FLOOR (10 seats): ADULT 40.00 (quota 8, 4 per order), CHILD 15.00 (quota 4, needs an
    ADULT), VIP 120.00 (quota 2): quotas add up to 14, more than the section's 10."""
    ev: str = (await api.event(org, sections=SECTIONS))["event_id"]
    await new_type(api, org, ev, code="adult", name="Adult", price_cents=4000, quota=8,
                   max_per_order=4)  # fmt: skip
    await new_type(api, org, ev, code="CHILD", name="Child", price_cents=1500, quota=4,
                   companion="ADULT")  # fmt: skip
    await new_type(api, org, ev, code="VIP", name="VIP package", price_cents=12000, quota=2)
    return ev


async def hold(
    api: Api, fan: Fan, event_id: str, lines: list[tuple[str, int]], **extra: Any
) -> Any:
    return await api.client.post(
        f"/api/v1/events/{event_id}/holds",
        json={
            "section": "FLOOR",
            "lines": [{"type": t, "quantity": q} for t, q in lines],
            **extra,
        },
        headers=fan.headers(event_id),
    )


async def type_counts(redis: Redis, event_id: str, code: str) -> dict[str, int]:
    f = f"FLOOR/{code}:"
    names = ("quota", "available", "held", "sold")
    values = await redis.hmget(keys.ticket_types(event_id), [f + n for n in names])  # type: ignore[misc]
    counts = {n: int(v or 0) for n, v in zip(names, values, strict=True)}
    assert counts["available"] + counts["held"] + counts["sold"] == counts["quota"], counts
    assert counts["available"] >= 0
    return counts


async def test_organizer_edits_types_with_clear_refusals(api: Api, settings: Settings) -> None:
    org = await api.user("organizer")
    other = await api.user("organizer")
    ev = await typed_event(api, org)
    url = types_url(ev)
    listed = (await api.client.get(f"/api/v1/events/{ev}/types")).json()
    assert listed["currency"] == "EUR"
    assert [(t["code"], t["available"], t["state"]) for t in listed["items"]] == [
        ("ADULT", 8, "on_sale"),
        ("CHILD", 4, "on_sale"),
        ("VIP", 2, "on_sale"),
    ]
    assert "sold" not in listed["items"][0]  # figures for the organizers only
    mine = (await api.client.get(f"/api/v1/events/{ev}/types", headers=org.headers)).json()
    assert mine["items"][0]["sold"] == 0

    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for body, status, code in (
        ({"code": "ADULT", "name": "Again", "price_cents": 1, "quota": 1}, 409, "type_exists"),
        ({"code": "BIG", "name": "Big", "price_cents": 1, "quota": 11}, 422, "invalid_request"),
        ({"code": "KID", "name": "Kid", "price_cents": 1, "quota": 1, "companion": "NOPE"},
         422, "invalid_request"),
        ({"code": "ODD", "name": "Odd", "price_cents": 1, "quota": 1, "opens_at": later,
          "closes_at": later}, 422, "invalid_request"),
        ({"code": "bad code", "name": "x", "price_cents": 1, "quota": 1}, 400, "invalid_request"),
    ):  # fmt: skip
        r = await api.client.post(url, json=body, headers=org.headers)
        if r.status_code == 422 and status == 400:
            status = 422  # a pattern is a value's rule to msgspec
        assert_problem(r, status, code)
    r = await api.client.post(
        url, json={"code": "X", "name": "X", "price_cents": 1, "quota": 1}, headers=other.headers
    )
    assert_problem(r, 404, "not_found")
    r = await api.client.post(
        types_url(ev, "PIT"),
        json={"code": "X", "name": "X", "price_cents": 1, "quota": 1},
        headers=org.headers,
    )
    assert_problem(r, 404, "not_found")

    # Edit: a new price and quota; delete: refused while CHILD needs ADULT as its companion.
    r = await api.client.put(
        f"{url}/vip",
        json={"code": "VIP", "name": "VIP lounge", "price_cents": 15000, "quota": 3},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["price_cents"], r.json()["available"]) == (
        "VIP lounge",
        15000,
        3,
    )
    assert_problem(await api.client.delete(f"{url}/ADULT", headers=org.headers), 409, "type_in_use")
    r = await api.client.delete(f"{url}/VIP", headers=org.headers)
    assert r.status_code == 204, r.text
    codes = [
        t["code"] for t in (await api.client.get(f"/api/v1/events/{ev}/types")).json()["items"]
    ]
    assert codes == ["ADULT", "CHILD"]
    assert_problem(await api.client.delete(f"{url}/VIP", headers=org.headers), 404, "not_found")


async def test_a_copied_event_keeps_its_types_and_sells_by_them(
    api: Api, settings: Settings, redis: Redis
) -> None:
    org = await api.user("organizer")
    ev = await typed_event(api, org)
    r = await api.client.post(
        f"/api/v1/events/{ev}/duplicate", json={"name": "Next round"}, headers=org.headers
    )
    assert r.status_code == 201, r.text
    copy = r.json()["event_id"]
    r = await api.client.post(f"/api/v1/events/{copy}/publish", headers=org.headers)
    assert r.status_code == 200, r.text
    listed = (await api.client.get(f"/api/v1/events/{copy}/types")).json()["items"]
    assert [(t["code"], t["quota"], t.get("companion")) for t in listed] == [
        ("ADULT", 8, None),
        ("CHILD", 4, "ADULT"),
        ("VIP", 2, None),
    ]
    assert (await type_counts(redis, copy, "ADULT"))["available"] == 8
    (fan,) = await fans_for(settings, redis, copy)
    assert_problem(await hold(api, fan, copy, [("CHILD", 1)]), 409, "companion_required")


async def test_mixed_types_in_one_order_priced_paid_and_given_back_per_type(
    api: Api, settings: Settings, redis: Redis, resources: Any, stripe_base: str
) -> None:
    org = await api.user("organizer")
    ev = await typed_event(api, org)
    r = await api.client.put(
        f"/api/v1/events/{ev}/money",
        json={"fee_per_ticket_cents": 100, "tax_rate_bp": 1900, "tax_label": "VAT"},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    (fan, other) = await fans_for(settings, redis, ev, 2)

    # A section with types needs lines; a child alone is refused; nothing is taken by either.
    assert_problem(
        await api.client.post(
            f"/api/v1/events/{ev}/holds",
            json={"section": "FLOOR", "quantity": 1},
            headers=fan.headers(ev),
        ),
        422,
        "type_required",
    )
    refused = assert_problem(await hold(api, fan, ev, [("CHILD", 2)]), 409, "companion_required")
    assert refused["ticket_type"] == "CHILD"
    assert "ADULT" in refused["detail"]
    assert_problem(await hold(api, fan, ev, [("ADULT", 5)]), 409, "type_limit_exceeded")
    assert_problem(await hold(api, fan, ev, [("VIP", 3)]), 409, "type_sold_out")
    german = await api.client.post(
        f"/api/v1/events/{ev}/holds",
        json={"section": "FLOOR", "lines": [{"type": "CHILD", "quantity": 1}]},
        headers={**fan.headers(ev), "Accept-Language": "de"},
    )
    assert "ADULT" in assert_problem(german, 409, "companion_required")["detail"]
    assert (await inventory(redis, ev))["held"] == 0

    # Mixed: 2 adults and a child = 95.00, each line at its type's price.
    r = await hold(api, fan, ev, [("adult", 2), ("CHILD", 1)])
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["quantity"], made["amount_cents"]) == (3, 9500)
    assert made["lines"] == [
        {"type": "ADULT", "quantity": 2, "amount_cents": 8000},
        {"type": "CHILD", "quantity": 1, "amount_cents": 1500},
    ]
    assert (await type_counts(redis, ev, "ADULT"))["held"] == 2
    read = (await api.client.get(f"/api/v1/holds/{made['hold_id']}", headers=fan.headers())).json()
    assert read["lines"] == made["lines"]
    price = (
        await api.client.get(f"/api/v1/holds/{made['hold_id']}/price", headers=fan.headers())
    ).json()
    assert [(line["label"], line["quantity"]) for line in price["lines"]] == [
        ("FLOOR · Adult", 2),
        ("FLOOR · Child", 1),
    ]
    # 95.00 + 3 x 1.00 fees, VAT inside.
    assert price["total_cents"] == 9800

    buyer = User(fan.user_id, "", "", fan.access_token)
    pay = await h.checkout(api.client, buyer, made["hold_id"])
    assert pay.status_code == 201, pay.text
    assert h.intent(stripe_base, pay.json()["payment_intent_id"])["amount"] == 9800
    assert await finalize.finalize_payment(resources, pay.json()["payment_intent_id"]) == (
        "confirmed"
    )
    order_id = pay.json()["order_id"]
    order = (await api.client.get(f"/api/v1/orders/{order_id}", headers=fan.headers())).json()
    assert [(t["type"], t["type_name"]) for t in order["tickets"]] == [
        ("ADULT", "Adult"),
        ("ADULT", "Adult"),
        ("CHILD", "Child"),
    ]
    adult, child = await type_counts(redis, ev, "ADULT"), await type_counts(redis, ev, "CHILD")
    assert (adult["sold"], adult["held"], child["sold"]) == (2, 0, 1)
    # The fan's own ticket list names each ticket's type.
    mine = (await api.client.get("/api/v1/me/tickets", headers=fan.headers())).json()["tickets"]
    names = sorted(t["type_name"] for t in mine if t["event_id"] == ev)
    assert names == ["Adult", "Adult", "Child"]
    receipt = await api.client.get(
        f"/api/v1/orders/{order_id}/receipt", params={"lang": "en"}, headers=fan.headers()
    )
    assert receipt.status_code == 200, receipt.text
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(receipt.content)).pages)
    assert "Adult" in text
    assert "Child" in text
    assert "98.00" in text

    # Reconcile agrees with the record; a lost types hash is rebuilt from it.
    report = await reconcile_event(resources.pool, redis, resources.scripts, settings, ev)
    assert report.type_drift == {}
    await redis.delete(keys.ticket_types(ev))
    report = await reconcile_event(resources.pool, redis, resources.scripts, settings, ev)
    assert report.types_repaired
    assert (await type_counts(redis, ev, "ADULT"))["sold"] == 2
    assert_problem(await hold(api, other, ev, [("CHILD", 1)]), 409, "companion_required")

    # A typed ticket is not put back on the section's sale by a resale listing (the type's
    # count would drift from its tickets): refused, nothing moves.
    r = await api.client.put(
        f"/api/v1/events/{ev}/move-rules",
        json={"resale_enabled": True, "resale_fee_cents": 0},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    listed = await api.client.post(
        f"/api/v1/tickets/{order['tickets'][0]['ticket_id']}/resale", headers=fan.headers()
    )
    assert_problem(listed, 409, "not_allowed")
    assert (await type_counts(redis, ev, "ADULT"))["sold"] == 2
    assert (await inventory(redis, ev))["sold"] == 3

    # The refund gives each type its tickets back.
    r = await api.client.post(f"/api/v1/orders/{order_id}/refund", json={}, headers=org.headers)
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, order_id) == "refunded"
    adult, child = await type_counts(redis, ev, "ADULT"), await type_counts(redis, ev, "CHILD")
    assert (adult["sold"], adult["available"], child["sold"], child["available"]) == (0, 8, 0, 4)
    assert_conserved(await inventory(redis, ev))


async def test_a_section_without_types_sells_as_before(
    api: Api, settings: Settings, redis: Redis
) -> None:
    org = await api.user("organizer")
    ev = await typed_event(api, org)
    (fan,) = await fans_for(settings, redis, ev)
    r = await api.client.post(
        f"/api/v1/events/{ev}/holds",
        json={"section": "BALCONY", "quantity": 2},
        headers=fan.headers(ev),
    )
    assert r.status_code == 201, r.text
    assert r.json()["amount_cents"] == 6000
    assert "lines" not in r.json()
    r = await api.client.post(
        f"/api/v1/events/{ev}/holds",
        json={"section": "BALCONY", "lines": [{"type": "ADULT", "quantity": 1}]},
        headers=fan.headers(ev),
    )
    assert_problem(r, 422, "no_such_type")


async def test_a_replayed_typed_hold_is_one_hold(
    api: Api, settings: Settings, redis: Redis
) -> None:
    org = await api.user("organizer")
    ev = await typed_event(api, org)
    (fan,) = await fans_for(settings, redis, ev)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"section": "FLOOR", "lines": [{"type": "ADULT", "quantity": 1}]}
    url = f"/api/v1/events/{ev}/holds"
    first = await api.client.post(url, json=body, headers=fan.headers(ev, **key))
    again = await api.client.post(url, json=body, headers=fan.headers(ev, **key))
    assert first.status_code == again.status_code == 201
    assert again.json()["hold_id"] == first.json()["hold_id"]
    # As many tickets, of another type: another body.
    other = {"section": "FLOOR", "lines": [{"type": "VIP", "quantity": 1}]}
    assert_problem(
        await api.client.post(url, json=other, headers=fan.headers(ev, **key)),
        409,
        "idempotency_conflict",
    )
    assert (await type_counts(redis, ev, "ADULT"))["held"] == 1


@pytest.mark.slow
async def test_a_types_quota_under_a_storm_never_oversells(
    api: Api, settings: Settings, redis: Redis
) -> None:
    """300 fans at once on a section of 60 whose types' quotas add up to 90: each type sells
    exactly its quota at most, the section exactly its capacity at most."""
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 60}]
    ev = (await api.event(org, sections=sections))["event_id"]
    await new_type(api, org, ev, code="ADULT", name="Adult", price_cents=4000, quota=50)
    await new_type(api, org, ev, code="REDUCED", name="Reduced", price_cents=2500, quota=25)
    await new_type(api, org, ev, code="VIP", name="VIP", price_cents=9000, quota=15)
    fans = await fans_for(settings, redis, ev, 300)
    choices = [[("ADULT", 2)], [("REDUCED", 1)], [("VIP", 1), ("ADULT", 1)], [("REDUCED", 2)]]
    responses = await asyncio.gather(
        *(hold(api, fan, ev, choices[i % len(choices)]) for i, fan in enumerate(fans))
    )
    created = [r.json() for r in responses if r.status_code == 201]
    refused = {r.json()["code"] for r in responses if r.status_code != 201}
    assert refused <= {"type_sold_out", "sold_out"}, refused
    per_type: dict[str, int] = {}
    for c in created:
        for line in c["lines"]:
            per_type[line["type"]] = per_type.get(line["type"], 0) + line["quantity"]
    quotas = {"ADULT": 50, "REDUCED": 25, "VIP": 15}
    inv = await inventory(redis, ev)
    assert_conserved(inv)
    assert inv["held"] == sum(c["quantity"] for c in created) <= 60
    for code, quota in quotas.items():
        counts = await type_counts(redis, ev, code)
        assert counts["held"] == per_type.get(code, 0) <= quota
    # Demand (300 fans) far exceeds supply: the section, or every type, ran out.
    assert inv["available"] < 2 or all(
        (await type_counts(redis, ev, code))["available"] < 2 for code in quotas
    )


async def test_a_section_sold_by_type_has_no_waiting_list(
    api: Api, settings: Settings, redis: Redis, resources: Any
) -> None:
    """A returned seat is offered to the list as a plain seat of its section: a typed section
    refuses the list (its type, price and rules would be lost); an untyped one keeps it."""
    org = await api.user("organizer")
    ev = await typed_event(api, org)
    (fan,) = await fans_for(settings, redis, ev)
    with pytest.raises(AppError) as refused:
        await waitlist.join(resources.scripts, ev, fan.user_id, WaitlistIn("FLOOR", 1))
    assert refused.value.code == "waitlist_not_for_types"
    assert refused.value.problem("de").detail == (
        "Bereich FLOOR wird nach Ticketart verkauft und hat keine Warteliste"
    )
