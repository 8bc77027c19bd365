"""Stripe's test cards behave as on Stripe in dev and tests, whatever the flow: 4000 0000
0000 0002 declines, 9995 is insufficient funds, 3184 asks for 3-D Secure, 4242 pays. The
fan app tokenizes a card (no PaymentMethod, nothing attached to a customer), the flow in
which the stand-in used to let the decline cards pay."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.settings import Settings
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


@pytest.mark.parametrize("flow", ["token", "payment_method"])
async def test_test_cards_decline_pay_and_authenticate_as_on_stripe(
    api: Api, settings: Settings, stripe_base: str, flow: str
) -> None:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 20}]
    event_id = (await api.event(org, sections=sections))["event_id"]
    card = h.card_token if flow == "token" else h.card_method

    async def pay_with(number: str) -> Any:
        fan = (await bulk_fans(settings, 1))[0]
        r = await h.hold(api.client, event_id, fan, 1)
        assert r.status_code == 201, r.text
        return await h.checkout(api.client, fan, r.json()["hold_id"], card(stripe_base, number))

    declined = await pay_with("4000000000000002")
    assert declined.status_code == 402, declined.text
    assert declined.json()["code"] == "payment_declined"
    assert "Your card was declined." in declined.json()["detail"]

    short = await pay_with("4000000000009995")
    assert short.status_code == 402, short.text
    assert short.json()["code"] == "payment_declined"
    assert "insufficient funds" in short.json()["detail"]

    three_ds = await pay_with("4000002760003184")
    assert three_ds.status_code == 201, three_ds.text
    assert three_ds.json()["requires_action"] is True

    paid = await pay_with("4242424242424242")
    assert paid.status_code == 201, paid.text
    assert paid.json()["payment_status"] == "requires_capture"
    assert h.inventory(settings, event_id)["held"] == 4  # the declined holds stay held
