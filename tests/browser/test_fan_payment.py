"""Payment edges on a phone: a declined card is reported next to the card and a second card
pays; a card whose bank asks for 3-D Secure opens the bank's step (the stand-in's
confirm/fail box) and, completed, shows the tickets; failed, says so honestly and keeps the
seats held for another card; a hold that runs out says so and sends the fan back to the event."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Page, Route, expect

from tests.browser.conftest import Phone, Stack, fan_sign_in
from tests.support import checkout as h

pytestmark = pytest.mark.timeout(240)


async def held_on_a_phone(
    stack: Stack, phone: Any, locale: str, **event_fields: Any
) -> tuple[Phone, dict[str, Any]]:
    """A new event, and a new fan on a phone in `locale` signed in and holding its default
    seats on the payment page: (phone, event)."""
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, **event_fields)
    fan = await stack.api.user("fan")
    ph: Phone = await phone(locale)
    page = ph.page
    await fan_sign_in(page, stack.base, fan.email, f"/events/{event['event_id']}/queue")
    await expect(page.locator("#room")).to_have_attribute("data-state", "admitted")
    await page.locator("#room form button[type=submit]").click()
    await expect(page).to_have_url(re.compile(r"/holds/[^/]+$"))
    await expect(page.locator("#card-element input").first).to_be_visible()
    return ph, event


async def refuse(route: Route, status: int, code: str, title: str, detail: str) -> None:
    """Answer a routed request with an RFC 9457 problem, as the API would."""
    problem = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    await route.fulfill(status=status, content_type="application/problem+json", json=problem)


async def fill_card(page: Page, number: str) -> None:
    card = page.locator("#card-element")
    await card.locator("input[placeholder=number]").fill(number)
    await card.locator("input[placeholder=exp_month]").fill("12")
    await card.locator("input[placeholder=exp_year]").fill("34")
    await card.locator("input[placeholder=cvc]").fill("123")
    await card.locator("input[placeholder=postal_code]").fill("10115")


async def test_declined_card_then_a_good_one(stack: Stack, phone: Any) -> None:
    ph, _ = await held_on_a_phone(stack, phone, "es-ES")
    page = ph.page

    await fill_card(page, "4000000000000002")  # Stripe's standard decline card
    await page.locator("#pay-form button[type=submit]").click()
    error = page.locator("#card-error")
    await expect(error).to_have_text("Tu tarjeta fue rechazada. Prueba con otra.")
    await expect(page).to_have_url(re.compile(r"/holds/[^/]+$"))
    await ph.shot("declined")
    assert await ph.axe("declined", exclude=("#card-element",)) == []

    await fill_card(page, "4242424242424242")
    await page.locator("#pay-form button[type=submit]").click()
    await expect(page.locator("#order")).to_have_attribute(
        "data-status", "confirmed", timeout=30_000
    )
    await expect(page.locator(".ticket")).to_have_count(2)
    assert ph.errors == []


THREE_DS_CARD = "4000002760003184"


async def test_3ds_card_authenticated_shows_the_tickets(stack: Stack, phone: Any) -> None:
    ph, event = await held_on_a_phone(stack, phone, "de-DE")
    page = ph.page

    await fill_card(page, THREE_DS_CARD)
    await page.locator("#pay-form button[type=submit]").click()
    bank = page.get_by_role("button", name="Complete authentication")
    await expect(bank).to_be_visible()
    await expect(page.locator("#pay-status")).to_contain_text(
        "Deine Bank möchte bestätigen, dass du es bist"
    )
    await ph.shot("3ds-bank-step")
    await bank.click()
    await expect(page).to_have_url(re.compile(r"/orders/[^/]+$"))
    await expect(page.locator("#order")).to_have_attribute(
        "data-status", "confirmed", timeout=30_000
    )
    await expect(page.locator(".ticket")).to_have_count(2)
    await ph.shot("3ds-confirmed")
    counts = await h.db_counts(stack.settings.database_url, event["event_id"])
    assert counts["orders"] == counts["confirmed"] == 1
    assert counts["tickets"] == counts["sold"] == 2
    assert ph.errors == []


async def test_failed_3ds_says_so_and_another_card_pays(stack: Stack, phone: Any) -> None:
    """A fan whose bank step fails (or who cancels it) expects to try again, not to lose the
    seats: the hold stays in checkout with its clock running and another card pays the same
    order. Left alone, the hold's deadline returns the seats (tests/integration)."""
    ph, event = await held_on_a_phone(stack, phone, "en-US")
    page = ph.page

    await fill_card(page, THREE_DS_CARD)
    await page.locator("#pay-form button[type=submit]").click()
    await page.get_by_role("button", name="Fail authentication").click()
    await expect(page.locator("#card-error")).to_have_text(
        "Your bank did not confirm the payment, so you were not charged. "
        "Your seats stay held: try again or use another card."
    )
    await expect(page).to_have_url(re.compile(r"/holds/[^/]+$"))
    await expect(page.locator("#pay-form button[type=submit]")).to_be_enabled()
    await expect(page.locator("#hold-clock")).to_have_text(re.compile(r"^\d+:\d\d$"))
    await ph.shot("3ds-failed")
    assert await ph.axe("3ds-failed", exclude=("#card-element",)) == []
    assert h.inventory(stack.settings, event["event_id"])["held"] == 2
    orders = await h.db_counts(stack.settings.database_url, event["event_id"])
    assert orders["orders"] == 1
    assert orders["confirmed"] == orders["payments"] == 0

    await fill_card(page, "4242424242424242")
    await page.locator("#pay-form button[type=submit]").click()
    await expect(page.locator("#order")).to_have_attribute(
        "data-status", "confirmed", timeout=30_000
    )
    await expect(page.locator(".ticket")).to_have_count(2)
    counts = await h.db_counts(stack.settings.database_url, event["event_id"])
    assert counts["orders"] == counts["confirmed"] == counts["payments"] == 1
    assert counts["tickets"] == counts["sold"] == 2
    assert ph.errors == []


async def test_failed_3ds_then_giving_the_seats_back_returns_them(stack: Stack, phone: Any) -> None:
    ph, event = await held_on_a_phone(stack, phone, "fr-FR")
    page = ph.page
    await fill_card(page, THREE_DS_CARD)
    await page.locator("#pay-form button[type=submit]").click()
    await page.get_by_role("button", name="Fail authentication").click()
    await expect(page.locator("#card-error")).to_contain_text(
        "Votre banque n’a pas confirmé le paiement"
    )
    await ph.shot("3ds-failed-fr")

    await page.get_by_role("button", name="Libérer les places").click()
    await expect(page).to_have_url(re.compile(rf"/events/{event['event_id']}$"))
    inventory = h.inventory(stack.settings, event["event_id"])
    assert (inventory["available"], inventory["held"]) == (inventory["capacity"], 0)
    counts = await h.db_counts(stack.settings.database_url, event["event_id"])
    assert (counts["orders"], counts["cancelled"], counts["payments"]) == (1, 1, 0)
    await ph.shot("seats-given-back")
    assert ph.errors == []


async def test_seats_not_given_back_say_so_and_a_sale_that_stood_shows_the_orders(
    stack: Stack, phone: Any
) -> None:
    """'Give the seats back' that the server refuses keeps the fan on the hold with the reason
    (the seats are still theirs); one refused because the payment went through after all
    leads to the orders, not to an event page that suggests the seats are free."""
    ph, event = await held_on_a_phone(stack, phone, "en-US")
    page = ph.page
    hold_path = f"**/api/v1/holds/{page.url.rsplit('/', 1)[1]}"

    async def stripe_unreachable(route: Route) -> None:
        if route.request.method != "DELETE":
            return await route.continue_()
        await refuse(
            route,
            503,
            "unavailable",
            "Service unavailable",
            "stripe is not reachable; retry shortly",
        )

    await page.route(hold_path, stripe_unreachable)
    await page.get_by_role("button", name="Give the seats back").click()
    await expect(page.locator("#pay-status")).to_contain_text(
        "The seats could not be given back just now; they stay yours"
    )
    await expect(page).to_have_url(re.compile(r"/holds/[^/]+$"))
    assert h.inventory(stack.settings, event["event_id"])["held"] == 2
    await ph.shot("release-refused")
    await page.unroute(hold_path)

    async def paid_meanwhile(route: Route) -> None:
        if route.request.method == "DELETE":
            return await refuse(
                route, 409, "hold_not_active", "Hold not active", "The hold is converted"
            )
        response = await route.fetch()
        converted = {**await response.json(), "status": "converted"}
        await route.fulfill(response=response, json=converted)

    await page.route(hold_path, paid_meanwhile)
    await page.get_by_role("button", name="Give the seats back").click()
    await expect(page).to_have_url(re.compile(r"/orders$"))
    assert ph.errors == []
    await page.unroute_all(behavior="ignoreErrors")


async def test_a_hold_that_runs_out_says_so(stack: Stack, phone: Any) -> None:
    ph, _ = await held_on_a_phone(stack, phone, "en-US", hold_ttl_s=8)
    page = ph.page
    await expect(page.locator("#hold-clock")).to_have_text(re.compile(r"^0:0\d$"))
    await expect(
        page.get_by_text("Your hold has expired and the seats went back on sale.")
    ).to_have_count(2, timeout=20_000)  # the notice, and the live region that told screen readers
    await expect(page.get_by_role("link", name="Back to the event")).to_be_visible()
    # The headline no longer says the seats are held.
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your hold has ended")
    await expect(page).to_have_title(re.compile(r"^Your hold has ended"))
    await ph.shot("hold-expired")
    assert ph.errors == []
