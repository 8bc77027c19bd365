"""Resale of a reserved seat on phones (360×740, touch) against real API and worker processes:
the seller (English) lists row C, seat 7 at its category's face value and sees which seat is
back on the map; a buyer (German) finds that seat free on the map, picks it, pays, and gets a
ticket for exactly that seat; the seller's ticket then shows it sold, and the worker pays
the seller face value minus the fee. axe-core on the new screens.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Phone, Stack, fan_sign_in
from tests.browser.test_fan_payment import fill_card
from tests.support import checkout as h
from tests.support.api import User
from tests.support.moves import ALL_ON
from tests.support.seat_plans import PRICES, seated_event

pytestmark = pytest.mark.timeout(300)

SECTION = "STALLS"


async def bought(stack: Stack, event_id: str, fan: User, seats: list[str]) -> dict[str, Any]:
    """The fan holds these seats, pays with the test card; the worker confirms (bounded)."""
    token = await h.admit(stack.client, event_id, fan)
    r = await stack.client.post(
        f"/api/v1/events/{event_id}/holds",
        json={"section": SECTION, "seats": seats},
        headers={
            **fan.headers,
            "X-Admission-Token": token or "",
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )
    assert r.status_code == 201, r.text
    return await h.paid_by_worker(stack.client, fan, r.json()["hold_id"])


async def test_a_resold_seat_goes_to_the_fan_who_picks_it(stack: Stack, phone: Any) -> None:
    org = await stack.api.user("organizer")
    event = await seated_event(stack.api, org, name="Kammerspiele: Der Sturm")
    event_id = event["event_id"]
    r = await stack.client.put(
        f"/api/v1/events/{event_id}/move-rules",
        json={**ALL_ON, "resale_fee_cents": 400},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    seller, buyer = await stack.api.user("fan"), await stack.api.user("fan")
    order = await bought(stack, event_id, seller, ["C-6", "C-7"])
    listed = next(t for t in order["tickets"] if t["seat"]["seat_id"] == "C-7")

    # The seller: the ticket for row C, seat 7 → sell at face value (Premium, €79.00).
    s: Phone = await phone(name="seller")
    await fan_sign_in(s.page, stack.base, seller.email, f"/tickets/{listed['ticket_id']}")
    card = s.page.locator("#resale-card")
    await expect(card).to_contain_text("Row C, seat 7 goes back on the seat map at €79.00")
    await expect(card).to_contain_text("€75.00")
    await s.shot("fan-seat-resale-sell")
    await card.get_by_role("button").click()
    await card.get_by_role("button").click()  # the second tap confirms
    await expect(s.page.locator("#ticket[data-status=listed]")).to_be_visible()
    await expect(s.page.locator("#resale-listed")).to_contain_text(
        "Row C, seat 7 is back on the seat map"
    )
    await expect(s.page.locator("#ticket-seat")).to_have_text("Row C, seat 7")
    await s.shot("fan-seat-resale-listed")
    assert await s.axe("seat-resale-listed") == []

    # The buyer (German) sees that seat free, its neighbour sold; picks it and pays.
    b: Phone = await phone("de-DE", name="buyer")
    await fan_sign_in(b.page, stack.base, buyer.email, f"/events/{event_id}/queue")
    await expect(b.page.locator("#room")).to_have_attribute("data-state", "admitted")
    seat7 = b.page.locator('#seat-picker .seatmap-svg [data-seat="C-7"]')
    seat6 = b.page.locator('#seat-picker .seatmap-svg [data-seat="C-6"]')
    await expect(seat6).to_have_class(re.compile(r"\btaken\b"))
    await expect(seat7).not_to_have_class(re.compile(r"\btaken\b"))
    await seat7.tap()
    chosen = b.page.locator("#chosen .chosen-seat")
    await expect(chosen).to_have_count(1)
    await expect(chosen).to_contain_text("Reihe C, Platz 7")
    await b.page.get_by_role("button", name="1 Platz reservieren").click()
    await expect(b.page).to_have_url(re.compile(r"/holds/[^/]+$"))
    await expect(b.page.locator("#held-seats li")).to_have_text(["Reihe C, Platz 7"])
    await fill_card(b.page, "4242424242424242")
    await b.page.locator("#pay-form button[type=submit]").click()
    await expect(b.page.locator("#order")).to_have_attribute(
        "data-status", "confirmed", timeout=30_000
    )
    await expect(b.page.locator(".ticket .seat-line")).to_have_text(["Reihe C, Platz 7"])
    await b.page.goto(f"{stack.base}/tickets")
    await expect(b.page.locator("#my-tickets .seat-line")).to_have_text(["Reihe C, Platz 7"])
    await b.shot("fan-seat-resale-bought-de")
    assert await b.axe("seat-resale-bought-de") == []

    # The seller's ticket is sold; row C, seat 6 is still theirs.
    await s.page.reload()
    await expect(s.page.locator("#ticket[data-status=void]")).to_be_visible()
    await expect(s.page.get_by_text("Sold to another fan")).to_be_visible()
    await s.shot("fan-seat-resale-sold")
    mine = (await stack.client.get("/api/v1/me/tickets", headers=seller.headers)).json()
    by_seat = {t["seat"]["seat_id"]: t["status"] for t in mine["tickets"]}
    assert by_seat == {"C-6": "valid", "C-7": "void"}
    assert s.errors == []
    assert b.errors == []

    # The worker's cron pays the seller the seat's face value minus the fee.
    payout = PRICES["Premium"] - 400
    pi = order["payment_intent_id"]
    assert await h.refunds_paid(stack.stripe_base, pi, [payout]) == [payout]
