"""Discount codes in the browser at 360×740, against real API and worker processes: the fan
types a wrong code (the refusal under the field, in the fan's language), then the right one
in lower case (the hold shows the code and the lower amount), in en, de, es and fr; the
console's discount codes page (create, the uses, disable). axe-core clean on each screen."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import PHONE, Phone, Screen, Stack, fan_sign_in
from tests.browser.test_console_screens import sign_in_as
from tests.support.api import User

pytestmark = pytest.mark.timeout(300)

TEXT = {
    "en-US": {
        "before": "Total before the code",
        "label": "Discount code (optional)",
        "unknown": "We don't know this code for this event.",
        "exhausted": "This code has been used up.",
        "amount": r"^€75\.00$",
        "applied": "Code SPRING",
    },
    "de-DE": {
        "before": "Summe vor dem Code",
        "label": "Rabattcode (optional)",
        "unknown": "Diesen Code gibt es für diese Veranstaltung nicht.",
        "exhausted": "Dieser Code ist aufgebraucht.",
        "amount": r"^75,00\s€$",
        "applied": "Code SPRING",
    },
    "es-ES": {
        "before": "Total antes del código",
        "label": "Código de descuento (opcional)",
        "unknown": "No conocemos este código para este evento.",
        "exhausted": "Este código ya se ha agotado.",
        "amount": r"^75,00\s€$",
        "applied": "Código SPRING",
    },
    "fr-FR": {
        "before": "Total avant le code",
        "label": "Code de réduction (facultatif)",
        "unknown": "Ce code n’existe pas pour cet événement.",
        "exhausted": "Ce code est épuisé.",
        "amount": r"^75,00\s€$",
        "applied": "Code SPRING",
    },
}


async def _fan(stack: Stack, locale: str) -> User:
    user_id, email = await stack.api.register(
        "fan", f"dc-{uuid.uuid4().hex[:8]}@example.com", locale=locale[:2]
    )
    return User(user_id, email, "", "")


async def _code(stack: Stack, org: User, eid: str, **body: Any) -> dict[str, Any]:
    r = await stack.client.post(f"/api/v1/events/{eid}/discounts", json=body, headers=org.headers)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "es-ES", "fr-FR"])
async def test_a_fan_enters_a_discount_code_on_the_hold_screen(
    stack: Stack, phone: Any, locale: str
) -> None:
    text = TEXT[locale]
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Spring Concert")
    eid = event["event_id"]
    await _code(stack, org, eid, code="SPRING", percent_off=25, max_uses=10)
    await _code(stack, org, eid, code="GONE", amount_off_cents=500, max_uses=1)
    # Someone else took GONE's one use.
    other = (await stack.api.users(1))[0]
    r = await stack.client.post(f"/api/v1/events/{eid}/queue", headers=other.headers)
    token = r.json()["admission_token"]
    r = await stack.client.post(
        f"/api/v1/events/{eid}/holds",
        json={"section": "FLOOR", "quantity": 1, "discount_code": "GONE"},
        headers={**other.headers, "X-Admission-Token": token},
    )
    assert r.status_code == 201, r.text

    fan = await _fan(stack, locale)
    ph: Phone = await phone(locale)
    page = ph.page
    await fan_sign_in(page, stack.base, fan.email, f"/events/{eid}")
    await page.locator("main button.btn").click()  # join the queue (no waiting room)
    room = page.locator("#room")
    await expect(room).to_have_attribute("data-state", "admitted")
    await expect(page.locator("label[for=discount-code]")).to_have_text(text["label"])
    code = page.locator("#discount-code")
    submit = page.locator("#ga-part button[type=submit]")

    await code.fill("nope")
    await expect(page.locator("#total").locator("xpath=..")).to_contain_text(text["before"])
    await submit.click()
    await expect(page.locator("#discount-error")).to_have_text(text["unknown"])
    await expect(code).to_have_attribute("aria-invalid", "true")
    await ph.shot("code-unknown")
    assert await ph.axe("code-unknown") == []

    await code.fill("gone")
    await submit.click()
    await expect(page.locator("#discount-error")).to_have_text(text["exhausted"])
    await ph.shot("code-exhausted")

    # Two tickets of 50.00 with 25 % off: 75.00.
    await code.fill("spring")
    await submit.click()
    await expect(page.locator("#amount")).to_have_text(re.compile(text["amount"]))
    await expect(page.locator("#discount")).to_contain_text(text["applied"])
    await ph.shot("hold-with-code")
    assert await ph.axe("hold-with-code") == []
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert ph.errors == []


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_console_discount_codes_page_at_phone_size(
    stack: Stack, screens: Callable[..., Awaitable[Screen]], lang: str
) -> None:
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Summer Tour")
    eid = event["event_id"]
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
    await page.goto(f"/console/events/{eid}/discounts")
    await expect(page.locator("h1")).to_contain_text(
        {"en": "Discount codes", "de": "Rabattcodes"}[lang]
    )
    form = page.locator("#new-discount")
    await form.locator("[data-field=code]").fill("early20")
    await form.locator("[data-field=value]").fill("20")
    await form.locator("[data-field=max_uses]").fill("100")
    await form.locator("button[type=submit]").click()
    card = page.locator(".discount-card[data-code=EARLY20]")
    await expect(card).to_contain_text({"en": "0 of 100 used", "de": "0 von 100 eingelöst"}[lang])
    await form.locator("[data-field=code]").fill("tenner")
    await form.locator("[data-field=kind]").select_option("amount")
    await form.locator("[data-field=value]").fill("10")
    await form.locator("[data-field=max_uses]").fill("5")
    await form.locator("button[type=submit]").click()
    tenner = page.locator(".discount-card[data-code=TENNER]")
    await expect(tenner).to_contain_text({"en": "€10.00 off", "de": "10,00\u00a0€ Rabatt"}[lang])
    # The same code again: the refusal is said, nothing is added.
    await form.locator("[data-field=code]").fill("Early20")
    await form.locator("[data-field=kind]").select_option("percent")
    await form.locator("[data-field=value]").fill("5")
    await form.locator("button[type=submit]").click()
    await expect(page.locator(".summary[role=alert]")).to_be_visible()
    await expect(page.locator(".discount-card")).to_have_count(2)
    await tenner.locator("button.danger").click()
    await expect(tenner).to_have_attribute("data-disabled", "true")
    await s.shot(f"console-discounts-{lang}")
    assert await s.axe("console-discounts") == []
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert s.errors == []
