"""Two fans at phone size move tickets in the fan app against real API and worker processes:
one transfers a ticket, the other (in German) accepts it; then the first lists the other
ticket for resale, a third fan buys it through the normal checkout, and it shows as sold.

Screenshots of every step land in tests/artifacts/browser/test_fan_transfer_and_resale*/.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Phone, Stack, fan_sign_in
from tests.support import checkout as h
from tests.support.api import PASSWORD, User
from tests.support.moves import ALL_ON

pytestmark = pytest.mark.timeout(300)


async def fan(stack: Stack, locale: str = "en") -> User:
    user_id, email = await stack.api.register("fan", locale=locale)
    return User(user_id, email, PASSWORD, await stack.api.login(email, PASSWORD))


async def paid_order(stack: Stack, event_id: str, buyer: User, quantity: int) -> dict[str, Any]:
    """Hold, pay with the test card, and wait (bounded) for the worker to confirm it."""
    r = await h.hold(stack.client, event_id, buyer, quantity)
    assert r.status_code == 201, r.text
    return await h.paid_by_worker(stack.client, buyer, r.json()["hold_id"])


async def test_fan_transfer_and_resale(stack: Stack, phone: Any) -> None:
    org = await stack.api.user("organizer")
    event = await stack.api.event(
        org,
        name="Harbour Lights",
        venue="Elbphilharmonie, Hamburg",
        sections=[{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 2}],
    )
    event_id = event["event_id"]
    r = await stack.client.put(
        f"/api/v1/events/{event_id}/move-rules",
        json={**ALL_ON, "resale_fee_cents": 250},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    anna, ben, cleo = await fan(stack), await fan(stack, "de"), await fan(stack)
    order = await paid_order(stack, event_id, anna, 2)
    first, second = order["tickets"]

    # Anna: My tickets → the first ticket → give it to Ben.
    a: Phone = await phone(name="anna")
    await fan_sign_in(a.page, stack.base, anna.email, "/tickets")
    await expect(a.page.locator("#my-tickets li")).to_have_count(2)
    await a.shot("my-tickets")
    await a.page.locator(f"a[href='/tickets/{first['ticket_id']}']").click()
    await expect(a.page.locator("#transfer-form")).to_be_visible()
    await a.shot("ticket")
    await a.page.locator("#transfer-email").fill(ben.email)
    await a.page.locator("#transfer-form button[type=submit]").click()
    await expect(a.page.locator("#ticket[data-status=pending_transfer]")).to_be_visible()
    await expect(a.page.get_by_text(f"Waiting for {ben.email} to accept")).to_be_visible()
    await a.shot("transfer-pending")
    assert await a.axe("transfer-pending") == []

    # Ben (German): the ticket offered to him → accept → his own code.
    b: Phone = await phone(locale="de-DE", name="ben")
    await fan_sign_in(b.page, stack.base, ben.email, "/tickets")
    await expect(b.page.get_by_text("Für dich angeboten")).to_be_visible()
    await b.shot("incoming-de")
    await b.page.get_by_role("button", name="Annehmen").click()
    await expect(b.page.locator("#ticket[data-status=valid] .ticket svg")).to_be_visible()
    await b.shot("received-de")
    assert await b.axe("received-de") == []
    bens = (await stack.client.get("/api/v1/me/tickets", headers=ben.headers)).json()["tickets"]
    assert [t["status"] for t in bens] == ["valid"]
    assert bens[0]["code"] != first["code"]

    # Anna sees the first ticket transferred; lists the second at face value.
    await a.page.goto(f"{stack.base}/tickets/{first['ticket_id']}")
    await expect(a.page.locator("#ticket[data-status=transferred]")).to_be_visible()
    await a.shot("transferred")
    await a.page.goto(f"{stack.base}/tickets/{second['ticket_id']}")
    resale = a.page.locator("#resale-card")
    await expect(resale).to_contain_text("€50.00")
    await expect(resale).to_contain_text("€47.50")
    await resale.get_by_role("button").click()
    await resale.get_by_role("button").click()  # the second tap confirms
    await expect(a.page.locator("#ticket[data-status=listed]")).to_be_visible()
    await a.shot("listed")

    # Cleo buys the seat that came back on sale, through the normal checkout.
    await paid_order(stack, event_id, cleo, 1)
    await a.page.reload()
    await expect(a.page.locator("#ticket[data-status=void]")).to_be_visible()
    await expect(a.page.get_by_text("Sold to another fan")).to_be_visible()
    await a.shot("sold")
    await a.page.goto(f"{stack.base}/tickets")
    await expect(a.page.locator("#my-tickets .badge")).to_have_text(["Transferred", "Sold"])
    # Nothing is left to move on either: each opens its details instead.
    await expect(a.page.get_by_role("link", name="See the details")).to_have_count(2)
    await a.shot("my-tickets-after")
    assert a.errors == []
    assert b.errors == []

    # The seller's refund (face value minus the fee) is paid by the worker's cron.
    pi = order["payment_intent_id"]
    assert await h.refunds_paid(stack.stripe_base, pi, [4750]) == [4750]
