"""Fees, tax and receipts on a 360×740 phone in English, German, Spanish and French: the fan's
hold screen shows the tickets, the booking fees, the tax and the total before paying, pays
that total and downloads a receipt PDF whose text carries it; the organizer sets fees and tax
on the console and reads the revenue report reconciled with Stripe. Nothing scrolls sideways;
axe-core finds nothing serious. Screenshots land in tests/artifacts/browser/<test>/."""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pypdf
import pytest
from playwright.async_api import expect

from tests.browser.conftest import PHONE, Screen, Stack, fan_sign_in
from tests.browser.test_console_screens import overflow, sign_in_as
from tests.browser.test_fan_payment import fill_card
from tests.support import checkout as h

pytestmark = pytest.mark.timeout(420)

RULES = {"fee_per_ticket_cents": 150, "fee_per_order_cents": 99, "tax_rate_bp": 1900,
         "tax_label": "", "tax_inclusive": True, "refund_fees": False}  # fmt: skip
# 2 x 50.00 + 2 x 1.50 + 0.99 = 103.99 EUR, of which 19 % VAT = 16.61 (15.97 + 0.48 + 0.16).
TOTAL = {"en": "€103.99", "de": "103,99 €", "es": "103,99 €", "fr": "103,99 €"}
TAX = {"en": "€16.61", "de": "16,61 €", "es": "16,61 €", "fr": "16,61 €"}
FEES = {"en": "Booking fees", "de": "Buchungsgebühren", "es": "Gastos de gestión",
        "fr": "Frais de réservation"}  # fmt: skip


def squash(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


async def test_fan_sees_fees_and_tax_before_paying_and_downloads_the_receipt(
    stack: Stack, phone: Any
) -> None:
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Sommernacht im Park")
    r = await stack.client.put(
        f"/api/v1/events/{event['event_id']}/money", json=RULES, headers=org.headers
    )
    assert r.status_code == 200, r.text
    for lang, locale in (("de", "de-DE"), ("es", "es-ES"), ("fr", "fr-FR"), ("en", "en-US")):
        fan = await stack.api.user("fan")
        ph: Screen = await phone(locale, name=lang)
        page = ph.page
        await fan_sign_in(page, stack.base, fan.email, f"/events/{event['event_id']}/queue")
        await expect(page.locator("#room")).to_have_attribute("data-state", "admitted")
        await page.locator("#room form button[type=submit]").click()
        await expect(page).to_have_url(re.compile(r"/holds/[^/]+$"))
        price = page.locator("#price")
        assert squash(await page.locator("#price-total").inner_text()) == TOTAL[lang]
        await expect(price).to_contain_text(FEES[lang])
        assert squash(await page.locator("#price-tax").inner_text()).endswith(TAX[lang])
        await expect(page.locator("#price-fee-rule")).to_be_visible()
        pay = squash(await page.locator("#pay-form button[type=submit]").inner_text())
        assert TOTAL[lang] in pay, pay
        width = await overflow(page)
        assert width["scroll"] <= width["client"], width
        await ph.shot(f"price-{lang}")
        if lang != "en":
            assert ph.errors == []
            continue
        assert await ph.axe("price", exclude=("#card-element",)) == []
        await fill_card(page, "4242424242424242")
        await page.locator("#pay-form button[type=submit]").click()
        await expect(page.locator("#order")).to_have_attribute(
            "data-status", "confirmed", timeout=30_000
        )
        async with page.expect_download() as info:
            await page.locator("#receipt").click()
        download = await info.value
        assert download.suggested_filename.startswith("receipt-")
        text = squash(
            "\n".join(
                p.extract_text()
                for p in pypdf.PdfReader(io.BytesIO((await download.path()).read_bytes())).pages
            )
        )
        assert "Receipt" in text, text
        assert f"Total paid {TOTAL['en']}" in text, text
        await ph.shot("order-with-receipt")
        # The order (the PaymentIntent's amount) is the same total.
        orders = (await stack.client.get("/api/v1/orders", headers=fan.headers)).json()["items"]
        assert [o["amount_cents"] for o in orders] == [10_399]
        assert ph.errors == []


HEADING = {
    "en": "Fees and tax: Money Night",
    "de": "Gebühren und Steuer: Money Night",
    "es": "Gastos e impuestos: Money Night",
    "fr": "Frais et taxes : Money Night",
}
NET = {"en": "€103.99", "de": "103,99\xa0€", "es": "103,99\xa0€", "fr": "103,99\xa0€"}
REVENUE = {"en": "Revenue: tickets, fees and tax", "de": "Umsatz: Tickets, Gebühren und Steuer",
           "es": "Ingresos: entradas, gastos e impuestos",
           "fr": "Recettes : billets, frais et taxes"}  # fmt: skip


async def test_organizer_sets_fees_and_tax_and_reads_revenue_at_phone_size(
    stack: Stack, screens: Callable[..., Awaitable[Screen]]
) -> None:
    organizer = await stack.api.user("organizer")
    event = await stack.api.event(organizer, name="Money Night")
    event_id = event["event_id"]
    for lang in ("en", "de", "es", "fr"):
        s = await screens(lang, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                          has_touch=True, locale=lang, base_url=stack.base)  # fmt: skip
        await sign_in_as(s.page, organizer, lang)
        await s.page.goto(f"/console/events/{event_id}/money")
        await expect(s.page.get_by_role("heading", name=HEADING[lang])).to_be_visible()
        if lang == "en":
            form = s.page.locator("main form")
            await form.locator("[data-field=fee_per_ticket_cents]").fill("1.50")
            await form.locator("[data-field=fee_per_order_cents]").fill("0.99")
            await form.locator("[data-field=tax_rate_bp]").fill("19")
            await form.locator("[data-field=tax_label]").fill("VAT")
            await form.locator("#refund-fees").uncheck()
            # The example follows the form before it is saved: 50.00 + 1.50 + 0.99.
            await expect(s.page.locator("#money-example")).to_contain_text("€52.49")
            await form.locator("button[type=submit]").click()
            await expect(s.page.locator("#money-saved")).to_be_visible()
            saved = (
                await stack.client.get(
                    f"/api/v1/events/{event_id}/money", headers=organizer.headers
                )
            ).json()
            assert (saved["fee_per_ticket_cents"], saved["fee_per_order_cents"]) == (150, 99)
            assert (saved["tax_rate_bp"], saved["tax_label"], saved["refund_fees"]) == (
                1900, "VAT", False,
            )  # fmt: skip
            assert await s.axe("money") == []
            # A fan buys two tickets at those fees: the revenue report has a sale to show.
            fan = await stack.api.user("fan")
            r = await h.hold(stack.client, event_id, fan, 2)
            r = await h.checkout(stack.client, fan, r.json()["hold_id"])
            assert r.json()["amount_cents"] == 10_399, r.text
            order_path = f"/api/v1/orders/{r.json()['order_id']}"

            async def status(path: str = order_path, who: Any = fan) -> str:
                body = (await stack.client.get(path, headers=who.headers)).json()
                return str(body["status"])

            assert await h.eventually(status, lambda s: s == "confirmed", timeout=60) == "confirmed"
            # A bad rate is refused next to its field, in the form's words.
            await form.locator("[data-field=tax_rate_bp]").fill("150")
            await form.locator("button[type=submit]").click()
            await expect(form.locator("[data-error-for=tax_rate_bp]")).to_be_visible()
            await s.shot("money-error-en")
            await form.locator("[data-field=tax_rate_bp]").fill("19")
        else:
            await expect(s.page.locator("[data-field=fee_per_ticket_cents]")).to_have_value("1.50")
        width = await overflow(s.page)
        assert width["scroll"] <= width["client"], width
        await s.shot(f"money-{lang}")
        await s.page.goto(f"/console/events/{event_id}/reports")
        await expect(s.page.get_by_role("heading", name=REVENUE[lang])).to_be_visible()
        await expect(s.page.get_by_test_id("revenue-reconciled")).to_have_class("summary ok")
        width = await overflow(s.page)
        assert width["scroll"] <= width["client"], width
        await expect(s.page.locator("#revenue-table")).to_contain_text(NET[lang])
        await s.shot(f"revenue-{lang}")
        assert s.errors == []
