"""The payment reconciler (finding 1): every authorized PaymentIntent no job finished ends
captured with an order and tickets, or cancelled; each decision is a metric."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import msgspec
import pytest
from prometheus_client import REGISTRY

from app.core.ids import new_id
from app.core.resources import Resources
from app.core.settings import Settings
from app.orders import finalize, reconciler
from app.orders.purchase import order_id_for
from app.payments import journal
from app.payments.gateway import gateway
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


def decisions(name: str) -> float:
    value = REGISTRY.get_sample_value(
        "onsale_payment_reconciler_decisions_total", {"decision": name}
    )
    return value or 0.0


async def _card_checkout(api: Api, settings: Settings, event_id: str) -> dict[str, Any]:
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, event_id, fan, 2)
    r = await h.checkout(api.client, fan, r.json()["hold_id"], "pm_card_visa")
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def _event(api: Api) -> str:
    org = await api.user("organizer")
    event_id: str = (await api.event(org))["event_id"]
    return event_id


async def test_pending_order_with_an_authorized_payment_is_finalized(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    """The job gave up (or never ran): the reconciler confirms, issues tickets, captures."""
    ev = await _event(api)
    checkout = await _card_checkout(api, settings, ev)
    before = decisions("finalized")
    assert await reconciler.reconcile_payments(resources, older_than_s=3600) == {}  # too fresh
    out = await reconciler.reconcile_payments(resources, older_than_s=0)
    assert out == {"finalized": 1}
    assert decisions("finalized") == before + 1
    counts = await h.db_counts(settings.database_url, ev)
    assert (counts["confirmed"], counts["tickets"], counts["captured"]) == (1, 2, 1)
    assert h.intent(stripe_base, checkout["payment_intent_id"])["status"] == "succeeded"
    assert await reconciler.reconcile_payments(resources, older_than_s=0) == {}  # settled


async def test_confirmed_order_whose_capture_failed_is_captured(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    ev = await _event(api)
    checkout = await _card_checkout(api, settings, ev)
    pi = checkout["payment_intent_id"]
    broken = msgspec.structs.replace(settings, fault_inject="raise:after_pg_commit:1")
    with pytest.raises(finalize.InjectedFault):
        await finalize.finalize_payment(dataclasses.replace(resources, settings=broken), pi)
    counts = await h.db_counts(settings.database_url, ev)
    assert (counts["confirmed"], counts["captured"]) == (1, 0)  # tickets issued, not paid
    assert h.intent(stripe_base, pi)["status"] == "requires_capture"
    out = await reconciler.reconcile_payments(resources, older_than_s=0)
    assert out == {"captured": 1}
    assert (await h.db_counts(settings.database_url, ev))["captured"] == 1
    assert h.intent(stripe_base, pi)["status"] == "succeeded"


async def test_confirmed_order_whose_authorization_is_gone_is_voided_with_its_tickets(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    ev = await _event(api)
    checkout = await _card_checkout(api, settings, ev)
    pi = checkout["payment_intent_id"]
    broken = msgspec.structs.replace(settings, fault_inject="raise:after_pg_commit:1")
    with pytest.raises(finalize.InjectedFault):
        await finalize.finalize_payment(dataclasses.replace(resources, settings=broken), pi)
    await gateway(settings).cancel(pi)  # the authorization expired before any capture
    assert h.inventory(settings, ev)["sold"] == 2
    out = await reconciler.reconcile_payments(resources, older_than_s=0)
    assert out == {"cancelled": 1}
    order = await resources.pool.fetchrow(
        "SELECT status FROM orders WHERE order_id = $1", uuid.UUID(checkout["order_id"])
    )
    assert order["status"] == "refunded"
    voided = await resources.pool.fetchval(
        "SELECT count(*) FROM tickets WHERE order_id = $1 AND voided_at IS NOT NULL",
        uuid.UUID(checkout["order_id"]),
    )
    assert voided == 2
    counts = await h.db_counts(settings.database_url, ev)
    assert counts["sold"] == 0
    assert h.inventory(settings, ev) == {"capacity": 100, "available": 100, "held": 0, "sold": 0}


async def test_authorized_intent_without_order_or_hold_is_cancelled(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    ev = await _event(api)
    fan = (await bulk_fans(settings, 1))[0]
    hold_id = "h" + uuid.UUID(ev).hex + "00" * 8  # a hold Redis never had (or lost)
    order_id = order_id_for(hold_id)
    gw = gateway(settings)
    intent = await gw.create_intent(
        amount_cents=1000,
        currency="EUR",
        metadata={
            "hold_id": hold_id,
            "event_id": ev,
            "order_id": order_id,
            "user_id": fan.user_id,
            "section": "FLOOR",
            "quantity": "1",
        },
        idempotency_key=new_id(),
    )
    await journal.record_payment_intent(
        resources.pool,
        payment_intent_id=intent.id,
        order_id=order_id,
        hold_id=hold_id,
        event_id=ev,
    )
    assert (await gw.confirm_with(intent.id, "pm_card_visa", new_id())).status == (
        "requires_capture"
    )
    before = decisions("voided")
    out = await reconciler.reconcile_payments(resources, older_than_s=0)
    assert out == {"voided": 1}
    assert decisions("voided") == before + 1
    assert h.intent(stripe_base, intent.id)["status"] == "canceled"
    assert (await h.db_counts(settings.database_url, ev))["orders"] == 0
    age = REGISTRY.get_sample_value("onsale_payment_undecided_oldest_seconds")
    assert age == 0


async def test_undecided_intent_of_a_live_hold_is_left_to_the_sweeper(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    ev = await _event(api)
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, ev, fan, 1)
    checkout = (await h.checkout(api.client, fan, r.json()["hold_id"], None)).json()
    out = await reconciler.reconcile_payments(resources, older_than_s=0)
    assert out == {"left_undecided": 1}
    assert h.intent(stripe_base, checkout["payment_intent_id"])["status"] == (
        "requires_payment_method"
    )
    age = REGISTRY.get_sample_value("onsale_payment_undecided_oldest_seconds")
    assert age is not None
    assert age >= 0
