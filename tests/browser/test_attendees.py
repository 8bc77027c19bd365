"""Attendee names and questions on a 360×740 phone against real API and worker processes: the
fan's order prompts for the missing names, the form refuses an empty submit with each error
beside its field (English and German), saves, and the order then shows each ticket's name; the
organizer builds the questions on the console and sets the seller's details on the team page;
the scanner shows the attendee's name after a scan. Nothing scrolls sideways; axe-core finds
nothing serious. Screenshots land in tests/artifacts/browser/<test>/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import PHONE, Phone, Stack, fan_sign_in
from tests.browser.test_console_screens import overflow, sign_in_as
from tests.browser.test_scanner import open_gate, scan
from tests.support.door import bought, live_code, scanner_of

pytestmark = pytest.mark.timeout(420)

QUESTIONS: list[dict[str, Any]] = [
    {"label": "Company", "kind": "text", "max_length": 40, "per": "order", "required": True},
    {"label": "Meal", "kind": "choice", "options": ["Meat", "Vegan"], "required": True},
    {"label": "Workshops", "kind": "multiple", "options": ["Morning", "Afternoon"]},
]
TEXT = {
    "en": {"missing": "required names or answers are missing", "required": "Please fill this in.",
           "problem": "Some required names or answers are missing.", "saved": "Saved. Thank you.",
           "name_line": "Name: Ada Lovelace", "label": "Name on ticket 1"},
    "de": {"missing": "erforderliche Namen oder Antworten fehlen",
           "required": "Bitte fülle das aus.",
           "problem": "Einige erforderliche Namen oder Antworten fehlen.",
           "saved": "Gespeichert. Vielen Dank.", "name_line": "Name: Ada Lovelace",
           "label": "Name auf Ticket 1"},
}  # fmt: skip


async def no_sideways(page: Any) -> None:
    width = await overflow(page)
    assert width["scroll"] <= width["client"], width


@pytest.mark.parametrize(("lang", "locale"), [("en", "en-US"), ("de", "de-DE")])
async def test_fan_names_the_tickets_at_phone_size(
    stack: Stack, phone: Any, lang: str, locale: str
) -> None:
    text = TEXT[lang]
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Jahreskonferenz Analytische Maschinen")
    r = await stack.client.put(
        f"/api/v1/events/{event['event_id']}/attendee-settings",
        json={"names": "required", "cutoff_hours": 2, "questions": QUESTIONS},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    fan, order = await bought(stack.api, stack.settings, event["event_id"], 2)
    ph: Phone = await phone(locale, name=lang)
    page = ph.page
    await fan_sign_in(page, stack.base, fan.email, f"/orders/{order['order_id']}")
    await expect(page.locator("#order")).to_have_attribute("data-status", "confirmed")
    prompt = page.locator("#attendee-prompt")
    await expect(prompt).to_contain_text(text["missing"])
    await expect(page.locator(".attendee-name.missing").first).to_be_visible()
    await no_sideways(page)
    await ph.shot("order-prompt")

    await prompt.locator("a").click()
    await expect(page).to_have_url(re.compile(r"/orders/[^/]+/attendees$"))
    await expect(page.locator("#attendees")).to_have_attribute("data-status", "open")
    # Every control is reachable by its label (what a screen reader reads out).
    name = page.get_by_label(text["label"])
    await expect(name).to_have_attribute("autocomplete", "name")
    await no_sideways(page)
    await ph.shot("form")
    if lang == "en":
        assert await ph.axe("form") == []

    # An empty form: the problem at the top, each error beside its field, the first focused.
    await page.locator("#attendees form button[type=submit]").click()
    await expect(page.locator("#attendees-problem")).to_contain_text(text["problem"])
    await expect(page.locator('[data-error-for="tickets[0].name"]')).to_have_text(text["required"])
    await expect(name).to_have_attribute("aria-invalid", "true")
    await expect(name).to_be_focused()
    await no_sideways(page)
    await ph.shot("errors")

    await name.fill("Ada Lovelace")
    await page.locator('[data-path="tickets[1].name"]').fill("Charles Babbage")
    for i, meal in ((0, "Vegan"), (1, "Meat")):
        box = page.locator(f"fieldset.ticket-form >> nth={i}")
        await box.get_by_label(meal, exact=True).check()
    await page.locator("fieldset.ticket-form >> nth=1").get_by_label("Afternoon").check()
    await page.get_by_label(re.compile("^Company")).fill("Analytical Engines Ltd")
    await page.locator("#attendees form button[type=submit]").click()
    await expect(page.locator("#attendees-saved")).to_contain_text(text["saved"])
    await ph.shot("saved")

    await page.locator("#attendees-saved a").click()
    await expect(page.locator("#order")).to_have_attribute("data-status", "confirmed")
    await expect(page.locator(".attendee-name").first).to_have_text(text["name_line"])
    await expect(page.locator("#attendee-prompt a")).to_be_visible()
    await no_sideways(page)
    await ph.shot("order-named")
    assert ph.errors == []

    r = await stack.client.get(f"/api/v1/orders/{order['order_id']}/attendees", headers=fan.headers)
    saved = r.json()
    assert [t["name"] for t in saved["tickets"]] == ["Ada Lovelace", "Charles Babbage"]
    assert saved["missing"] == 0


async def test_console_questions_editor_and_seller_details_at_phone_size(
    stack: Stack, screens: Any
) -> None:
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Harbour Lights")
    ph = await screens("console", base_url=stack.base, viewport=PHONE, locale="en-GB")
    page = ph.page
    await sign_in_as(page, org)
    await page.goto(f"/console/events/{event['event_id']}/attendees")
    await expect(page.locator("h1")).to_contain_text("Attendee details: Harbour Lights")
    await page.get_by_label("Names are required").check()
    await page.get_by_label(re.compile("^Changes close")).fill("24")
    await page.locator("#add-question").click()
    first = page.locator("fieldset.question >> nth=0")
    await first.get_by_label("Question", exact=True).fill("Meal")
    await first.get_by_label("Type of answer").select_option("choice")
    await first.get_by_label("Choices").fill("Meat\nVegan\n")
    await first.get_by_label("An answer is required").check()
    await page.locator("#add-question").click()
    second = page.locator("fieldset.question >> nth=1")
    await second.get_by_label("Question", exact=True).fill("Company")
    await second.get_by_label("Asked").select_option("order")
    await no_sideways(page)
    await ph.shot("editor")
    assert await ph.axe("editor") == []
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator("#attendees-saved")).to_be_visible()
    await ph.shot("saved")

    # A choice without choices is refused beside its field.
    await second.get_by_label("Type of answer").select_option("multiple")
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator('[data-error-for="questions[1].options"]')).to_be_visible()
    await ph.shot("error")

    r = await stack.client.get(
        f"/api/v1/events/{event['event_id']}/attendee-settings", headers=org.headers
    )
    body = r.json()
    assert body["names"] == "required"
    assert body["cutoff_hours"] == 24
    assert [(q["label"], q["kind"], q["per"], q["required"], q["options"])
            for q in body["questions"]] == [
        ("Meal", "choice", "ticket", True, ["Meat", "Vegan"]),
        ("Company", "text", "order", False, []),
    ]  # fmt: skip

    # The seller's details on the team page (the owner's).
    await page.goto("/console/team")
    await page.get_by_label("Legal name").fill("Harbour Lights Events Ltd")
    await page.get_by_label("Address", exact=True).fill(
        "1 Pier Road\nBrighton BN1 1AA\nUnited Kingdom"
    )
    await page.get_by_label("VAT ID", exact=True).fill("GB123456789")
    await page.locator("#seller ~ form button[type=submit]").click()
    await expect(page.locator("#seller-saved")).to_be_visible()
    await no_sideways(page)
    await ph.shot("seller")
    assert ph.errors == []
    orgs = (await stack.client.get("/api/v1/orgs", headers=org.headers)).json()["items"]
    r = await stack.client.get(f"/api/v1/orgs/{orgs[0]['org_id']}/seller", headers=org.headers)
    assert r.json()["vat_id"] == "GB123456789"


async def test_the_scanner_shows_the_attendees_name(stack: Stack, phone: Any) -> None:
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Harbour Lights", venue="Pier 4")
    r = await stack.client.put(
        f"/api/v1/events/{event['event_id']}/attendee-settings",
        json={"names": "required"},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    fan, order = await bought(stack.api, stack.settings, event["event_id"], 2)
    first, second = order["tickets"]
    r = await stack.client.put(
        f"/api/v1/orders/{order['order_id']}/attendees",
        json={"tickets": [{"ticket_id": first["ticket_id"], "name": "Grace Hopper"},
                          {"ticket_id": second["ticket_id"], "name": "Alan Turing"}]},
        headers=fan.headers,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    scanner = await scanner_of(stack.api, org, event["event_id"])
    ph: Phone = await phone("en-US")
    page = ph.page
    await open_gate(ph, stack, scanner, event, "North")
    await scan(page, live_code(first), "admitted")
    await expect(page.locator("#result-name")).to_have_text("Name: Grace Hopper")
    await ph.shot("named")
    # Another order's ticket without its required name: admitted, and the scanner says so.
    _, other = await bought(stack.api, stack.settings, event["event_id"], 1)
    await scan(page, live_code(other["tickets"][0]), "admitted")
    await expect(page.locator("#result-name")).to_contain_text("Name missing")
    await ph.shot("unnamed")
    assert await no_sideways_ok(page)


async def no_sideways_ok(page: Any) -> bool:
    width = await overflow(page)
    return bool(width["scroll"] <= width["client"])


async def test_the_console_order_page_shows_the_names(stack: Stack, screens: Any) -> None:
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Harbour Lights")
    r = await stack.client.put(
        f"/api/v1/events/{event['event_id']}/attendee-settings",
        json={"names": "optional"},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    fan, order = await bought(stack.api, stack.settings, event["event_id"], 2)
    first, second = order["tickets"]
    r = await stack.client.put(
        f"/api/v1/orders/{order['order_id']}/attendees",
        json={"tickets": [{"ticket_id": first["ticket_id"], "name": "Grace Hopper"},
                          {"ticket_id": second["ticket_id"], "name": ""}]},
        headers=fan.headers,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    ph = await screens("console", base_url=stack.base, viewport=PHONE, locale="en-GB")
    page = ph.page
    await sign_in_as(page, org)
    await page.goto(f"/console/orders/{order['order_id']}")
    tickets = page.locator("ul.tickets li")
    await expect(tickets).to_have_count(2)
    await expect(tickets.nth(0).locator(".attendee")).to_have_text("Grace Hopper")
    await expect(tickets.nth(1).locator(".attendee")).to_have_count(0)
    await no_sideways(page)
    await ph.shot("order-names")
    assert ph.errors == []
