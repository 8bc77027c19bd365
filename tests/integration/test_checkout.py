"""Checkout, finalize, late payments, the sweeper, refunds and exports against real Redis,
Postgres and localstripe (the finalize and refund jobs run in the test process here;
tests/acceptance/test_payments.py runs them in real worker processes)."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from app.checkout import sweeper
from app.core import keys
from app.core.metrics import LATE_PAYMENTS
from app.core.redis import create_redis
from app.core.settings import Settings
from app.holds.scripts import hold_scripts
from app.orders import finalize, refunds
from app.tickets import codes as ticket_codes
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def on_sale(api: Api, capacity: int = 100, **overrides: Any) -> tuple[Any, str]:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": capacity}]
    event = await api.event(org, sections=sections, **overrides)
    return org, event["event_id"]


async def held(api: Api, settings: Settings, event_id: str, quantity: int = 2) -> tuple[Any, str]:
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, event_id, fan, quantity)
    assert r.status_code == 201, r.text
    return fan, r.json()["hold_id"]


async def hold_status(redis: Redis, hold_id: str) -> str | None:
    from app.holds.ids import event_of_hold

    event_id = event_of_hold(hold_id)
    assert event_id
    status: str | None = await redis.hget(keys.hold(event_id, hold_id), "status")  # type: ignore[misc]
    return status


async def test_card_checkout_then_finalize_confirms_once(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    _, event_id = await on_sale(api)
    fan, hold_id = await held(api, settings, event_id)

    r = await h.checkout(api.client, fan, hold_id)
    assert r.status_code == 201, r.text
    checkout = r.json()
    assert checkout["payment_status"] == "requires_capture"
    assert checkout["amount_cents"] == 10000
    assert checkout["currency"] == "EUR"
    assert checkout["client_secret"]
    assert await hold_status(resources.redis, hold_id) == "checking_out"
    assert h.intent(stripe_base, checkout["payment_intent_id"])["capture_method"] == "manual"

    order = (
        await api.client.get(f"/api/v1/orders/{checkout['order_id']}", headers=fan.headers)
    ).json()
    assert order["status"] == "pending"
    assert order["tickets"] == []

    # A second checkout of the same hold: the same order and PaymentIntent.
    again = await h.checkout(api.client, fan, hold_id)
    assert again.status_code == 201
    assert again.json()["payment_intent_id"] == checkout["payment_intent_id"]
    assert again.json()["order_id"] == checkout["order_id"]

    assert await finalize.finalize_payment(resources, checkout["payment_intent_id"]) == "confirmed"
    assert await finalize.finalize_payment(resources, checkout["payment_intent_id"]) == "confirmed"

    order = (
        await api.client.get(f"/api/v1/orders/{checkout['order_id']}", headers=fan.headers)
    ).json()
    assert order["status"] == "confirmed"
    assert len(order["tickets"]) == 2
    public = (await api.client.get(f"/api/v1/events/{event_id}/scanner-key")).text
    for ticket in order["tickets"]:
        claim = ticket_codes.verify(ticket["code"], ticket_codes.parse_public_keys(public)).claim
        assert claim.event_id == event_id
        assert claim.ticket_id == ticket["ticket_id"]

    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["orders"] == counts["confirmed"] == 1
    assert counts["payments"] == counts["captured"] == 1
    assert counts["tickets"] == 2
    assert counts["sold"] == 2
    assert h.inventory(settings, event_id) == {
        "capacity": 100,
        "available": 98,
        "held": 0,
        "sold": 2,
    }
    assert await hold_status(resources.redis, hold_id) == "converted"
    assert h.intent(stripe_base, checkout["payment_intent_id"])["status"] == "succeeded"
    assert h.captures(stripe_base, checkout["payment_intent_id"]) == 1

    mine = (await api.client.get("/api/v1/orders", headers=fan.headers)).json()["items"]
    assert [o["order_id"] for o in mine] == [checkout["order_id"]]
    conn = await asyncpg.connect(settings.database_url)
    try:
        assert (
            await conn.fetchval("SELECT count(*) FROM outbox WHERE kind = 'order_confirmed'") == 1
        )
        assert (
            await conn.fetchval("SELECT status FROM holds WHERE hold_id = $1", hold_id)
            == "converted"
        )
        ledger = await conn.fetch(
            "SELECT reason, delta_sold FROM inventory_ledger WHERE ref = $1", checkout["order_id"]
        )
        assert [(r["reason"], r["delta_sold"]) for r in ledger] == [("sale", 2)]
    finally:
        await conn.close()


async def test_declined_card_no_order_hold_stays_active(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    _, event_id = await on_sale(api)
    fan, hold_id = await held(api, settings, event_id)

    r = await h.checkout(api.client, fan, hold_id, "pm_card_chargeCustomerFail")
    assert r.status_code == 402, r.text
    assert r.json()["code"] == "payment_declined"
    assert await hold_status(resources.redis, hold_id) == "active"
    got = (await api.client.get(f"/api/v1/holds/{hold_id}", headers=fan.headers)).json()
    assert got["status"] == "active"
    assert (await h.db_counts(settings.database_url, event_id))["orders"] == 0
    assert h.inventory(settings, event_id)["held"] == 2
    first_pi = await resources.redis.hget(keys.hold(event_id, hold_id), "payment_intent_id")

    # Another card: a fresh PaymentIntent is authorized, the declined one is cancelled.
    r = await h.checkout(api.client, fan, hold_id, "pm_card_visa")
    assert r.status_code == 201, r.text
    assert r.json()["payment_intent_id"] != first_pi
    assert r.json()["payment_status"] == "requires_capture"
    assert h.intent(stripe_base, first_pi)["status"] == "canceled"
    assert await hold_status(resources.redis, hold_id) == "checking_out"
    # The declined PaymentIntent's late "payment_failed" settles nothing of the new attempt.
    assert await finalize.finalize_payment(resources, first_pi) == "canceled"
    assert await finalize.finalize_payment(resources, r.json()["payment_intent_id"]) == "confirmed"
    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["confirmed"] == 1
    assert counts["tickets"] == 2


async def test_concurrent_checkouts_of_one_hold_make_one_payment(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    _, event_id = await on_sale(api)
    fan, hold_id = await held(api, settings, event_id)
    results = await asyncio.gather(*(h.checkout(api.client, fan, hold_id, None) for _ in range(5)))
    assert all(r.status_code == 201 for r in results), [r.text for r in results]
    assert len({r.json()["payment_intent_id"] for r in results}) == 1
    assert len({r.json()["order_id"] for r in results}) == 1
    assert (await h.db_counts(settings.database_url, event_id))["orders"] == 1


async def test_checkout_idempotency_key_replays_first_response(
    api: Api, settings: Settings
) -> None:
    _, event_id = await on_sale(api)
    fan, hold_id = await held(api, settings, event_id)
    headers = {**fan.headers, "Idempotency-Key": "same-key"}
    first = await api.client.post(f"/api/v1/holds/{hold_id}/checkout", json={}, headers=headers)
    second = await api.client.post(f"/api/v1/holds/{hold_id}/checkout", json={}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    other = await api.client.post(
        f"/api/v1/holds/{hold_id}/checkout",
        json={"payment_method": "pm_card_visa"},
        headers=headers,
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"


async def test_checkout_of_someone_elses_or_unknown_hold_is_404(
    api: Api, settings: Settings
) -> None:
    _, event_id = await on_sale(api)
    _, hold_id = await held(api, settings, event_id)
    stranger = (await bulk_fans(settings, 1))[0]
    assert (await h.checkout(api.client, stranger, hold_id)).status_code == 404
    assert (await h.checkout(api.client, stranger, "nope")).status_code == 404
    r = await api.client.post(f"/api/v1/holds/{hold_id}/checkout", json={})
    assert r.status_code == 401


@pytest.mark.parametrize("kind", ["forged", "stale", "missing"])
async def test_bad_webhook_signature_is_400_and_writes_nothing(
    api: Api, settings: Settings, kind: str
) -> None:
    secret = settings.stripe_webhook_secret if kind != "forged" else "whsec_attacker"
    timestamp = None if kind != "stale" else int(__import__("time").time()) - 301
    body, headers = h.signed_event(
        secret,
        "payment_intent.succeeded",
        {"id": "pi_x", "object": "payment_intent"},
        timestamp=timestamp,
    )
    if kind == "missing":
        headers.pop("Stripe-Signature")
    r = await h.deliver(api.client, body, headers)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid_signature"
    conn = await asyncpg.connect(settings.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM webhook_events") == 0
    finally:
        await conn.close()
    redis = create_redis(settings.redis_url)
    try:
        assert await redis.zcard("arq:queue") == 0
    finally:
        await redis.aclose()


async def test_valid_webhook_recorded_once(api: Api, settings: Settings) -> None:
    body, headers = h.signed_event(
        settings.stripe_webhook_secret,
        "payment_intent.succeeded",
        {"id": "pi_y", "object": "payment_intent"},
    )
    for _ in range(3):
        r = await h.deliver(api.client, body, headers)
        assert r.status_code == 200, r.text
    conn = await asyncpg.connect(settings.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM webhook_events") == 1
    finally:
        await conn.close()


async def _authorized_after_expiry(
    api: Api, settings: Settings, resources: Any, stripe_base: str, capacity: int
) -> tuple[str, str, dict[str, Any]]:
    """A hold in checkout whose seats went back (bound passed), then the app's payment succeeds."""
    _, event_id = await on_sale(api, capacity=capacity)
    fan, hold_id = await held(api, settings, event_id)
    r = await h.checkout(api.client, fan, hold_id, None)
    assert r.status_code == 201, r.text
    checkout = r.json()
    assert await hold_scripts(resources.scripts).expire_checkout(
        event_id, hold_id, checkout["payment_intent_id"], 0
    )
    assert await hold_status(resources.redis, hold_id) == "expired"
    assert h.inventory(settings, event_id)["available"] == capacity
    return event_id, hold_id, checkout


async def test_late_payment_with_seats_left_is_confirmed(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    event_id, _hold_id, checkout = await _authorized_after_expiry(
        api, settings, resources, stripe_base, 10
    )
    before = LATE_PAYMENTS.labels("confirmed")._value.get()
    assert (
        h.confirm_as_app(stripe_base, checkout["payment_intent_id"])["status"] == "requires_capture"
    )
    assert await finalize.finalize_payment(resources, checkout["payment_intent_id"]) == "confirmed"
    assert LATE_PAYMENTS.labels("confirmed")._value.get() == before + 1
    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["confirmed"] == 1
    assert counts["tickets"] == 2
    assert counts["sold"] == 2
    assert h.inventory(settings, event_id) == {"capacity": 10, "available": 8, "held": 0, "sold": 2}
    assert h.intent(stripe_base, checkout["payment_intent_id"])["status"] == "succeeded"


async def test_late_payment_without_seats_is_cancelled_and_voided(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    event_id, _hold_id, checkout = await _authorized_after_expiry(
        api, settings, resources, stripe_base, 2
    )
    _, _other_hold = await held(api, settings, event_id, 2)  # someone else takes the last seats
    assert h.inventory(settings, event_id)["available"] == 0
    before = LATE_PAYMENTS.labels("cancelled")._value.get()
    assert (
        h.confirm_as_app(stripe_base, checkout["payment_intent_id"])["status"] == "requires_capture"
    )
    assert (
        await finalize.finalize_payment(resources, checkout["payment_intent_id"])
        == "late_cancelled"
    )
    assert await finalize.finalize_payment(resources, checkout["payment_intent_id"]) == "canceled"
    assert LATE_PAYMENTS.labels("cancelled")._value.get() == before + 1
    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["orders"] == counts["cancelled"] == 1
    assert counts["tickets"] == 0
    assert counts["sold"] == 0
    order = (await api.client.get(f"/api/v1/orders/{checkout['order_id']}", headers={})).status_code
    assert order == 401
    assert h.intent(stripe_base, checkout["payment_intent_id"])["status"] == "canceled"
    assert h.captures(stripe_base, checkout["payment_intent_id"]) == 0
    assert h.inventory(settings, event_id) == {"capacity": 2, "available": 0, "held": 2, "sold": 0}


async def test_sweeper_settles_abandoned_and_authorized_checkouts(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    _, event_id = await on_sale(api)
    fan_a, abandoned = await held(api, settings, event_id)
    fan_b, paid = await held(api, settings, event_id)
    a = (await h.checkout(api.client, fan_a, abandoned, None)).json()
    b = (await h.checkout(api.client, fan_b, paid, None)).json()
    h.confirm_as_app(stripe_base, b["payment_intent_id"])  # webhook for it "lost"
    # Both deadlines pass.
    for hold_id in (abandoned, paid):
        await resources.redis.zadd(keys.checkouts(event_id), {hold_id: 1})
    outcomes = await sweeper.sweep_all(resources)
    assert outcomes == {"expired": 1, "finalized:confirmed": 1}, outcomes
    assert await hold_status(resources.redis, abandoned) == "expired"
    assert h.intent(stripe_base, a["payment_intent_id"])["status"] == "canceled"
    assert await hold_status(resources.redis, paid) == "converted"
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = {
            str(r["order_id"]): (r["status"], r["cancel_reason"])
            for r in await conn.fetch("SELECT * FROM orders")
        }
    finally:
        await conn.close()
    assert rows == {
        a["order_id"]: ("cancelled", "checkout_expired"),
        b["order_id"]: ("confirmed", None),
    }
    assert h.inventory(settings, event_id) == {
        "capacity": 100,
        "available": 98,
        "held": 0,
        "sold": 2,
    }
    assert await sweeper.sweep_all(resources) == {}


async def test_refund_returns_seats_and_counts_in_stats(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    org, event_id = await on_sale(api)
    fan, hold_id = await held(api, settings, event_id)
    checkout = (await h.checkout(api.client, fan, hold_id)).json()
    await finalize.finalize_payment(resources, checkout["payment_intent_id"])
    stats = (await api.client.get(f"/api/v1/events/{event_id}/stats", headers=org.headers)).json()
    assert (stats["orders_confirmed"], stats["revenue_cents"], stats["refunds"]) == (1, 10000, 0)

    assert (
        await api.client.post(
            f"/api/v1/orders/{checkout['order_id']}/refund", json={}, headers=fan.headers
        )
    ).status_code == 403
    r = await api.client.post(
        f"/api/v1/orders/{checkout['order_id']}/refund",
        json={"reason": "cancelled show"},
        headers=org.headers,
    )
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, checkout["order_id"]) == "refunded"
    assert await refunds.refund_order(resources, checkout["order_id"]) == "refunded"
    order = (
        await api.client.get(f"/api/v1/orders/{checkout['order_id']}", headers=fan.headers)
    ).json()
    assert order["status"] == "refunded"
    assert all(t["voided"] for t in order["tickets"])
    assert h.refunds_of(stripe_base, checkout["payment_intent_id"]) == 1
    assert h.inventory(settings, event_id) == {
        "capacity": 100,
        "available": 100,
        "held": 0,
        "sold": 0,
    }
    assert (await h.db_counts(settings.database_url, event_id))["sold"] == 0
    stats = (await api.client.get(f"/api/v1/events/{event_id}/stats", headers=org.headers)).json()
    assert (stats["orders_confirmed"], stats["revenue_cents"], stats["refunds"]) == (0, 0, 1)
    again = await api.client.post(
        f"/api/v1/orders/{checkout['order_id']}/refund", json={}, headers=org.headers
    )
    assert again.status_code == 202


async def test_export_json_and_csv(api: Api, settings: Settings, resources: Any) -> None:
    org, event_id = await on_sale(api)
    ids = []
    for _ in range(3):
        fan, hold_id = await held(api, settings, event_id, 1)
        checkout = (await h.checkout(api.client, fan, hold_id)).json()
        await finalize.finalize_payment(resources, checkout["payment_intent_id"])
        ids.append(checkout["order_id"])
    r = await api.client.get(f"/api/v1/events/{event_id}/orders", headers=org.headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert sorted(i["order_id"] for i in items) == sorted(ids)
    assert all(i["status"] == "confirmed" and i["ticket_codes"].startswith("T2.") for i in items)
    r = await api.client.get(f"/api/v1/events/{event_id}/orders?format=csv", headers=org.headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted(row["order_id"] for row in rows) == sorted(ids)
    other = await api.user("organizer")
    assert (
        await api.client.get(f"/api/v1/events/{event_id}/orders", headers=other.headers)
    ).status_code == 404
