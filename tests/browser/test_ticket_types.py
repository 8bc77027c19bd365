"""Ticket types in the browser at 360×740, against real API and worker processes: the fan's
type picker (a stepper per type with its price; a sold-out type and one not on sale yet say
so; a child ticket alone is refused with the companion rule in the fan's language; adult and
child together make the hold, priced per type), in English and German; the console's type
editor (create, edit, the refusal of a bad companion, delete). axe-core clean on each screen."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import PHONE, Phone, Screen, Stack, fan_sign_in
from tests.browser.test_console_screens import sign_in_as
from tests.browser.test_fan_payment import fill_card
from tests.support.api import User

pytestmark = pytest.mark.timeout(300)

TEXT = {
    "en-US": {
        "legend": "Tickets",
        "sold_out": "Sold out",
        "not_yet": "On sale from",
        "companion": "Child tickets need at least one Adult ticket in the same order",
        "amount": r"^€95\.00$",
        "line": "Floor · Adult",
        "section_price": r"^from €15\.00$",
    },
    "de-DE": {
        "legend": "Tickets",
        "sold_out": "Ausverkauft",
        "not_yet": "Im Verkauf ab",
        "companion": "Tickets Child gibt es nur zusammen mit mindestens einem Ticket Adult",
        "amount": r"^95,00\s€$",
        "line": "Floor · Adult",
        "section_price": r"^ab 15,00\s€$",
    },
}


async def _type(stack: Stack, org: User, eid: str, **body: Any) -> None:
    r = await stack.client.post(
        f"/api/v1/events/{eid}/sections/FLOOR/types", json=body, headers=org.headers
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("locale", ["en-US", "de-DE"])
async def test_a_fan_picks_ticket_types_on_the_hold_screen(
    stack: Stack, phone: Any, locale: str
) -> None:
    text = TEXT[locale]
    org = await stack.api.user("organizer")
    eid = (await stack.api.event(org, name="Family Day"))["event_id"]
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    await _type(stack, org, eid, code="ADULT", name="Adult", price_cents=4000, quota=50,
                max_per_order=4)  # fmt: skip
    await _type(stack, org, eid, code="CHILD", name="Child", price_cents=1500, quota=20,
                companion="ADULT")  # fmt: skip
    await _type(stack, org, eid, code="VIP", name="VIP package", price_cents=12000, quota=0)
    await _type(stack, org, eid, code="LATE", name="Late bird", price_cents=3000, quota=10,
                opens_at=later)  # fmt: skip

    user_id, email = await stack.api.register(
        "fan", f"tt-{uuid.uuid4().hex[:8]}@example.com", locale=locale[:2]
    )
    ph: Phone = await phone(locale)
    page = ph.page
    await fan_sign_in(page, stack.base, email, f"/events/{eid}")
    await page.locator("main button.btn").click()  # join the queue (no waiting room)
    await expect(page.locator("#room")).to_have_attribute("data-state", "admitted")
    picker = page.locator("#type-picker")
    await expect(picker.locator("legend")).to_have_text(text["legend"])
    await expect(page.locator("#qty-label")).to_be_hidden()
    # The section shows what its cheapest type costs, not its own price.
    await expect(page.locator("label.choice strong").first).to_have_text(
        re.compile(text["section_price"])
    )
    await expect(picker.locator(".type-row[data-type=VIP]")).to_contain_text(text["sold_out"])
    await expect(picker.locator(".type-row[data-type=LATE]")).to_contain_text(text["not_yet"])
    submit = page.locator("#ga-part button[type=submit]")
    await expect(submit).to_be_disabled()

    # A child alone: the hold script refuses it with the companion rule.
    child = picker.locator(".type-row[data-type=CHILD]")
    await child.locator("button").nth(1).click()
    await expect(child.locator("output")).to_have_text("1")
    await submit.click()
    await expect(page.locator("#ga-part .notice")).to_contain_text(text["companion"])
    await ph.shot("types-companion-refused")
    assert await ph.axe("types-companion-refused") == []

    # Two adults and the child: 2 x 40.00 + 15.00.
    adult = picker.locator(".type-row[data-type=ADULT]")
    await adult.locator("button").nth(1).click()
    await adult.locator("button").nth(1).click()
    await expect(page.locator("#total")).to_have_text(re.compile(text["amount"]))
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await ph.shot("types-picked")
    await submit.click()
    await expect(page.locator("#amount")).to_have_text(re.compile(text["amount"]))
    await expect(page.locator("main")).to_contain_text(text["line"])
    await ph.shot("types-hold")
    assert await ph.axe("types-hold") == []

    # Paid: the order's tickets say their type.
    await fill_card(page, "4242424242424242")
    await page.locator("#pay-form button[type=submit]").click()
    await expect(page.locator("#order")).to_have_attribute(
        "data-status", "confirmed", timeout=30_000
    )
    await expect(page.locator(".ticket")).to_have_count(3)
    await expect(page.locator(".ticket").nth(2)).to_contain_text("Floor · Child")
    await ph.shot("types-order")
    assert ph.errors == []
    assert user_id


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_console_ticket_type_editor_at_phone_size(
    stack: Stack, screens: Callable[..., Awaitable[Screen]], lang: str
) -> None:
    org = await stack.api.user("organizer")
    eid = (await stack.api.event(org, name="Summer Tour"))["event_id"]
    s = await screens(
        f"console-{lang}",
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale={"en": "en-US", "de": "de-DE"}[lang],
        timezone_id="Europe/Berlin",
        base_url=stack.base,
    )
    page = s.page
    await sign_in_as(page, org, lang)
    await page.goto(f"/console/events/{eid}/types")
    await expect(page.locator("h1")).to_contain_text(
        {"en": "Ticket types", "de": "Ticketarten"}[lang]
    )
    form = page.locator("#type-form")

    async def create(code: str, name: str, price: str, quota: str, companion: str = "") -> None:
        await form.locator("[data-field=code]").fill(code)
        await form.locator("[data-field=name]").fill(name)
        await form.locator("[data-field=price_cents]").fill(price)
        await form.locator("[data-field=quota]").fill(quota)
        if companion:
            await form.locator("[data-field=companion]").select_option(companion)
        await form.locator("button[type=submit]").click()

    await create("adult", "Adult", "40", "100")
    adult = page.locator(".type-card[data-type=ADULT]")
    await expect(adult).to_contain_text("0")
    await create("child", "Child", "15", "50", companion="ADULT")
    child = page.locator(".type-card[data-type=CHILD]")
    await expect(child).to_contain_text({"en": "needs ADULT", "de": "braucht ADULT"}[lang])
    # A quota above the section's seats is refused next to its field.
    await create("vip", "VIP", "120", "999999")
    await expect(form.locator("[data-error-for=quota]")).to_be_visible()
    await form.locator("[data-field=quota]").fill("10")
    await form.locator("button[type=submit]").click()
    vip = page.locator(".type-card[data-type=VIP]")
    await expect(vip).to_be_visible()
    # Edit the VIP price; delete it.
    await vip.locator("button", has_text={"en": "Edit", "de": "Bearbeiten"}[lang]).click()
    await expect(form.locator("[data-field=code]")).to_have_value("VIP")
    await form.locator("[data-field=price_cents]").fill("150")
    await form.locator("button[type=submit]").click()
    await expect(vip).to_contain_text({"en": "€150.00", "de": "150,00\u00a0€"}[lang])
    await s.shot(f"console-types-{lang}")
    assert await s.axe("console-types") == []
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await vip.locator("button.danger").click()
    await expect(page.locator(".type-card")).to_have_count(2)
    # ADULT cannot go while CHILD needs it: the refusal is said.
    await adult.locator("button.danger").click()
    await expect(page.locator(".summary[role=alert]")).to_be_visible()
    await expect(page.locator(".type-card")).to_have_count(2)
    assert s.errors == []
