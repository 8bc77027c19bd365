"""Finding 8: the PaymentIntent a checkout created is cancelled when the hold turns out to
have expired (or vanished) before the checkout could begin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.settings import Settings
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans
from tests.support.faults import HttpFaultProxy, http_fault_proxy


@pytest.fixture
def slow_stripe(stripe_base: str) -> Iterator[HttpFaultProxy]:
    with http_fault_proxy(stripe_base) as proxy:
        yield proxy


@pytest.fixture
def settings(settings: Settings, slow_stripe: HttpFaultProxy) -> Settings:
    return h.with_stripe(settings, slow_stripe.url)


async def test_hold_expiring_during_checkout_cancels_its_payment_intent(
    api: Api, settings: Settings, slow_stripe: HttpFaultProxy, stripe_base: str
) -> None:
    org = await api.user("organizer")
    event_id = (await api.event(org, hold_ttl_s=1))["event_id"]
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, event_id, fan, 2)
    assert r.status_code == 201, r.text
    hold_id = r.json()["hold_id"]
    slow_stripe.delay_s = 1.2  # the hold expires while Stripe creates the PaymentIntent
    r = await h.checkout(api.client, fan, hold_id, "pm_card_visa")
    slow_stripe.delay_s = 0
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "hold_expired"
    created = [
        pi
        for pi in h.stripe_get(stripe_base, "/v1/payment_intents", limit=1000)["data"]
        if (pi.get("metadata") or {}).get("hold_id") == hold_id
    ]
    assert len(created) == 1
    assert created[0]["status"] == "canceled"
    assert (await h.db_counts(settings.database_url, event_id))["orders"] == 0
