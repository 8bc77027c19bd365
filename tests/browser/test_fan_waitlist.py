"""The waiting list on a phone (360×740), in English and German, against real API and worker
processes: a sold-out event → join the waiting list (quantity) → the place shown → seats come
back → the offer with its countdown (the worker's offer step and the page's polling, nothing
faked) → buy → pay → tickets. axe-core clean on each new screen. In a seated section, the
offer names its seats, in each of the four languages."""

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
from tests.support.seat_orders import csv_map
from tests.support.waitlist import floor

pytestmark = pytest.mark.timeout(300)

TEXT = {
    "en-US": {
        "join": "Join the waiting list",
        "on_list": "You are on the waiting list",
        "wants": "For 2 tickets · Floor",
        "offer": "Seats came back for you!",
        "buy": re.compile(r"^Buy for €100\.00$"),
    },
    "de-DE": {
        "join": "In die Warteliste eintragen",
        "on_list": "Du stehst auf der Warteliste",
        "wants": "Für 2 Tickets · Floor",
        "offer": "Plätze sind für dich zurückgekommen!",
        "buy": re.compile(r"^Für 100,00\s€ kaufen$"),
    },
}


@pytest.mark.parametrize("locale", ["en-US", "de-DE"])
async def test_sold_out_then_waiting_list_then_offer_then_paid(
    stack: Stack, phone: Any, locale: str
) -> None:
    text = TEXT[locale]
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Small Hall", sections=floor(2))
    event_id = event["event_id"]
    # Another fan holds every seat: sold out.
    buyer = await stack.api.user("fan")
    r = await h.hold(stack.client, event_id, buyer, 2)
    assert r.status_code == 201, r.text
    bought = r.json()["hold_id"]

    _, email = await stack.api.register(
        "fan", f"wl-{uuid.uuid4().hex[:8]}@example.com", locale=locale[:2]
    )
    ph: Phone = await phone(locale)
    page = ph.page
    await fan_sign_in(page, stack.base, email, f"/events/{event_id}")
    action = page.locator("#waitlist-action")
    await expect(action.get_by_role("link")).to_be_visible()
    await ph.shot("sold-out")
    await action.get_by_role("link").click()

    # Join: the quantity wanted, then the place on the list.
    box = page.locator("#waitlist")
    await expect(box).to_have_attribute("data-state", "join")
    await page.locator("#wl-quantity").select_option("2")
    await ph.shot("join")
    assert await ph.axe("join") == []
    await page.locator("#wl-form button[type=submit]").click()
    await expect(box).to_have_attribute("data-state", "waiting")
    await expect(box.locator("h2")).to_have_text(text["on_list"])
    await expect(page.locator("#wl-place")).to_have_text("#1")
    await expect(box).to_contain_text(text["wants"])
    await ph.shot("waiting")
    assert await ph.axe("waiting") == []

    # The buyer gives the seats back: the worker offers them to the list, the page shows it.
    r = await stack.client.delete(f"/api/v1/holds/{bought}", headers=buyer.headers)
    assert r.status_code == 204, r.text
    await expect(box).to_have_attribute("data-state", "offered", timeout=30_000)
    await expect(box).to_contain_text(text["offer"])
    await expect(page.locator("#wl-clock")).to_have_text(re.compile(r"^(10:00|9:\d\d)$"))
    await expect(page.locator("#wl-buy")).to_have_text(text["buy"])
    await ph.shot("offer")
    assert await ph.axe("offer") == []
    # The offer is the fan's: 2 seats at 50.00, held (available 0, held 2).
    stats = (await stack.client.get(f"/api/v1/events/{event_id}/stats", headers=org.headers)).json()
    section = stats["sections"][0]
    assert (section["available"], section["held"], section["sold"]) == (0, 2, 0)

    # Buy: straight to paying the offered hold.
    await page.locator("#wl-buy").click()
    await expect(page).to_have_url(re.compile(r"/holds/[^/]+$"))
    await expect(page.locator("#amount")).to_have_text(re.compile(r"100[.,]00"))
    await fill_card(page, "4242424242424242")
    await page.locator("#pay-form button[type=submit]").click()
    await expect(page.locator("#order")).to_have_attribute(
        "data-status", "confirmed", timeout=30_000
    )
    await expect(page.locator(".ticket")).to_have_count(2)
    await ph.shot("paid")
    stats = (await stack.client.get(f"/api/v1/events/{event_id}/stats", headers=org.headers)).json()
    section = stats["sections"][0]
    assert (section["available"], section["held"], section["sold"]) == (0, 0, 2)
    assert ph.errors == []


SEATED = {
    "en-US": ("Seats came back for you!", ["Row A, seat 1", "Row A, seat 2"]),
    "de-DE": ("Plätze sind für dich zurückgekommen!", ["Reihe A, Platz 1", "Reihe A, Platz 2"]),
    "es-ES": ("¡Han vuelto entradas para ti!", ["Fila A, asiento 1", "Fila A, asiento 2"]),
    "fr-FR": ("Des places se sont libérées pour vous !", ["Rang A, place 1", "Rang A, place 2"]),
}


async def _hold(stack: Stack, event_id: str, fan: User, seats: list[str]) -> str:
    """The fan, admitted, holds these seats: the hold's id."""
    r = await stack.client.post(f"/api/v1/events/{event_id}/queue", headers=fan.headers)
    assert r.status_code in (200, 201), r.text
    r = await stack.client.post(
        f"/api/v1/events/{event_id}/holds",
        json={"section": "FLOOR", "seats": seats},
        headers={
            **fan.headers,
            "X-Admission-Token": r.json()["admission_token"],
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )
    assert r.status_code == 201, r.text
    hold_id: str = r.json()["hold_id"]
    return hold_id


@pytest.mark.parametrize("locale", list(SEATED))
async def test_an_offer_in_a_seated_section_shows_its_seats(
    stack: Stack, phone: Any, locale: str
) -> None:
    """A sold-out seated section: the fan on the list is offered two seats side by side when
    they come back, and the offer names them (row and seat) in the fan's language."""
    title, seat_lines = SEATED[locale]
    org = await stack.api.user("organizer")
    event = await stack.api.event(
        org,
        publish=False,
        name="Small Hall",
        sections=[{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 4}],
    )
    event_id = event["event_id"]
    r = await stack.client.put(
        f"/api/v1/events/{event_id}/sections/FLOOR/seatmap",
        content=csv_map(1, 4),
        headers={**org.headers, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    r = await stack.client.post(f"/api/v1/events/{event_id}/publish", headers=org.headers)
    assert r.status_code == 200, r.text
    holder = await stack.api.user("fan")
    front = await _hold(stack, event_id, holder, ["A-1", "A-2"])
    await _hold(stack, event_id, await stack.api.user("fan"), ["A-3", "A-4"])

    _, email = await stack.api.register(
        "fan", f"wl-{uuid.uuid4().hex[:8]}@example.com", locale=locale[:2]
    )
    ph: Phone = await phone(locale)
    page = ph.page
    await fan_sign_in(page, stack.base, email, f"/events/{event_id}/waitlist")
    box = page.locator("#waitlist")
    await expect(box).to_have_attribute("data-state", "join")
    await page.locator("#wl-quantity").select_option("2")
    await page.locator("#wl-form button[type=submit]").click()
    await expect(box).to_have_attribute("data-state", "waiting")

    # The first pair comes back: the worker offers exactly those seats to the fan.
    r = await stack.client.delete(f"/api/v1/holds/{front}", headers=holder.headers)
    assert r.status_code == 204, r.text
    await expect(box).to_have_attribute("data-state", "offered", timeout=30_000)
    await expect(box).to_contain_text(title)
    await expect(page.locator("#wl-seats li")).to_have_text(seat_lines)
    await ph.shot("seated-offer")
    assert await ph.axe("seated-offer") == []
    assert ph.errors == []
