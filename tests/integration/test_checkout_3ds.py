"""3-D Secure at checkout against real Redis, Postgres and localstripe: a card the bank wants
authenticated leaves the order pending and says so; authenticated, the order is confirmed
without a webhook; failed, the fan may pay with another card on the same PaymentIntent and
order, and a checkout nobody completes gives its seats back at the hold's deadline."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from app.checkout import sweeper
from app.core import keys
from app.core.settings import Settings
from app.orders import finalize
from tests.integration.test_checkout import held, hold_status, on_sale
from tests.support import checkout as h
from tests.support.api import Api

THREE_DS_CARD = "4000002760003184"


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def order_of(api: Api, fan: Any, order_id: str) -> dict[str, Any]:
    r = await api.client.get(f"/api/v1/orders/{order_id}", headers=fan.headers)
    assert r.status_code == 200, r.text
    order: dict[str, Any] = r.json()
    return order


async def checkout_with_3ds(
    api: Api, settings: Settings, stripe_base: str, event_id: str
) -> tuple[Any, str, dict[str, Any]]:
    fan, hold_id = await held(api, settings, event_id)
    r = await h.checkout(api.client, fan, hold_id, h.card_method(stripe_base, THREE_DS_CARD))
    assert r.status_code == 201, r.text
    return fan, hold_id, r.json()


async def test_3ds_card_says_so_and_confirms_once_authenticated(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    _, event_id = await on_sale(api)
    fan, hold_id, checkout = await checkout_with_3ds(api, settings, stripe_base, event_id)
    assert checkout["payment_status"] == "requires_action"
    assert checkout["requires_action"] is True
    assert checkout["order_status"] == "pending"
    assert await hold_status(resources.redis, hold_id) == "checking_out"
    # Nothing is paid yet: reading or finalizing the order changes nothing.
    assert await finalize.finalize_payment(resources, checkout["payment_intent_id"]) == (
        "requires_action"
    )
    assert (await order_of(api, fan, checkout["order_id"]))["status"] == "pending"

    # Checking out again (a reload) answers the same checkout, still to authenticate.
    again = await h.checkout(api.client, fan, hold_id, None)
    assert again.status_code == 201, again.text
    assert again.json()["payment_intent_id"] == checkout["payment_intent_id"]
    assert again.json()["requires_action"] is True

    authenticated = h.authenticate_as_app(
        stripe_base, checkout["payment_intent_id"], checkout["client_secret"], success=True
    )
    assert authenticated["status"] == "requires_capture"
    r = await api.client.post(
        f"/api/v1/orders/{checkout['order_id']}/payment-confirmed", headers=fan.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "confirmed"
    assert len(r.json()["tickets"]) == 2
    assert h.intent(stripe_base, checkout["payment_intent_id"])["status"] == "succeeded"
    assert h.captures(stripe_base, checkout["payment_intent_id"]) == 1
    assert await hold_status(resources.redis, hold_id) == "converted"
    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["orders"] == counts["confirmed"] == 1
    assert counts["tickets"] == counts["sold"] == 2
    assert h.inventory(settings, event_id) == {
        "capacity": 100,
        "available": 98,
        "held": 0,
        "sold": 2,
    }


async def test_failed_3ds_then_another_card_pays_the_same_order(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    _, event_id = await on_sale(api)
    fan, hold_id, checkout = await checkout_with_3ds(api, settings, stripe_base, event_id)
    failed = h.authenticate_as_app(
        stripe_base, checkout["payment_intent_id"], checkout["client_secret"], success=False
    )
    assert failed["status"] == "requires_payment_method"
    # The hold stays in checkout (its seats held) and the order pending.
    assert await hold_status(resources.redis, hold_id) == "checking_out"
    assert (await order_of(api, fan, checkout["order_id"]))["status"] == "pending"
    assert h.inventory(settings, event_id)["held"] == 2

    r = await h.checkout(api.client, fan, hold_id, "pm_card_visa")
    assert r.status_code == 201, r.text
    retried = r.json()
    assert retried["order_id"] == checkout["order_id"]
    assert retried["payment_intent_id"] == checkout["payment_intent_id"]
    assert retried["payment_status"] == "requires_capture"
    assert retried["requires_action"] is False
    assert await finalize.finalize_payment(resources, retried["payment_intent_id"]) == "confirmed"
    order = await order_of(api, fan, checkout["order_id"])
    assert order["status"] == "confirmed"
    assert len(order["tickets"]) == 2
    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["orders"] == counts["confirmed"] == counts["payments"] == 1
    assert counts["tickets"] == counts["sold"] == 2


async def test_failed_3ds_left_alone_returns_the_seats_at_the_deadline(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    _, event_id = await on_sale(api)
    fan, hold_id, checkout = await checkout_with_3ds(api, settings, stripe_base, event_id)
    pi = checkout["payment_intent_id"]
    h.authenticate_as_app(stripe_base, pi, checkout["client_secret"], success=False)

    # A declined card on the retry is a 402; the checkout stays as it was.
    r = await h.checkout(api.client, fan, hold_id, "pm_card_chargeCustomerFail")
    assert r.status_code == 402, r.text
    assert r.json()["code"] == "payment_declined"
    assert await hold_status(resources.redis, hold_id) == "checking_out"
    assert (await order_of(api, fan, checkout["order_id"]))["status"] == "pending"

    await resources.redis.zadd(keys.checkouts(event_id), {hold_id: 1})  # the deadline passes
    assert await sweeper.sweep_all(resources) == {"expired": 1}
    assert await hold_status(resources.redis, hold_id) == "expired"
    assert h.intent(stripe_base, pi)["status"] == "canceled"
    conn = await asyncpg.connect(settings.database_url)
    try:
        row = await conn.fetchrow("SELECT status, cancel_reason FROM orders")
    finally:
        await conn.close()
    assert (row["status"], row["cancel_reason"]) == ("cancelled", "checkout_expired")
    assert h.inventory(settings, event_id) == {
        "capacity": 100,
        "available": 100,
        "held": 0,
        "sold": 0,
    }
    assert h.captures(stripe_base, pi) == 0


async def test_giving_back_a_checkout_nobody_paid_cancels_it_and_returns_the_seats(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    _, event_id = await on_sale(api)
    fan, hold_id, checkout = await checkout_with_3ds(api, settings, stripe_base, event_id)
    pi = checkout["payment_intent_id"]
    h.authenticate_as_app(stripe_base, pi, checkout["client_secret"], success=False)

    r = await api.client.delete(f"/api/v1/holds/{hold_id}", headers=fan.headers)
    assert r.status_code == 204, r.text
    assert h.intent(stripe_base, pi)["status"] == "canceled"
    assert await hold_status(resources.redis, hold_id) == "expired"
    order = await order_of(api, fan, checkout["order_id"])
    assert order["status"] == "cancelled"
    assert h.inventory(settings, event_id) == {
        "capacity": 100,
        "available": 100,
        "held": 0,
        "sold": 0,
    }
    # Nothing is left for the sweeper, and the cancelled payment cannot be authenticated.
    assert await resources.redis.zscore(keys.checkouts(event_id), hold_id) is None
    assert await sweeper.sweep_all(resources) == {}


async def test_giving_back_a_paid_checkout_is_refused_and_the_sale_stands(
    api: Api, settings: Settings, resources: Any, stripe_base: str
) -> None:
    _, event_id = await on_sale(api)
    fan, hold_id, checkout = await checkout_with_3ds(api, settings, stripe_base, event_id)
    pi = checkout["payment_intent_id"]
    h.authenticate_as_app(stripe_base, pi, checkout["client_secret"], success=True)

    r = await api.client.delete(f"/api/v1/holds/{hold_id}", headers=fan.headers)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "hold_not_active"
    order = await order_of(api, fan, checkout["order_id"])
    assert order["status"] == "confirmed"
    assert len(order["tickets"]) == 2
    assert h.captures(stripe_base, pi) == 1
    assert h.inventory(settings, event_id)["sold"] == 2


async def test_the_schema_documents_requires_action(api: Api) -> None:
    schema = (await api.client.get("/schema/openapi.json")).json()
    checkout = schema["components"]["schemas"]["Checkout"]
    field = checkout["properties"]["requires_action"]
    assert field["type"] == "boolean"
    assert "confirmCardPayment" in field["description"]
    assert "payment-confirmed" in field["description"]
    release = schema["paths"]["/api/v1/holds/{hold_id}"]["delete"]
    assert release["operationId"] == "releaseHold"
