"""Locale and copy on a phone (360×740): the header keeps one row in all four languages, signed
in (the longest links); a profile whose language was never chosen follows the phone's after a
reload; a chosen one is kept; event times name their zone, never a bare "GMT+1"; the landing
page groups sales as on now, opening soon and sold out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Phone, Stack, fan_sign_in

pytestmark = pytest.mark.timeout(300)

NAV = {"en": "My tickets", "de": "Meine Tickets", "es": "Mis entradas", "fr": "Mes billets"}


async def header_rows(page: Page) -> dict[str, Any]:
    """Where the header's pieces sit: one row when brand, links and language share a line."""
    result: dict[str, Any] = await page.evaluate(
        """() => {
          const bar = document.querySelector("header.bar");
          const tops = [bar.querySelector(".brand"), ...bar.querySelectorAll("#nav > *"),
                        bar.querySelector("#lang")].map((el) => {
            const r = el.getBoundingClientRect();
            return Math.round(r.top + r.height / 2);
          });
          const widths = [bar.querySelector(".brand"), ...bar.querySelectorAll("#nav > *"),
                        bar.querySelector("#lang")]
            .map((el) => Math.round(el.getBoundingClientRect().width));
          return {tops, widths, scroll: document.documentElement.scrollWidth,
                  bar: bar.getBoundingClientRect().height};
        }"""
    )
    return result


async def test_header_fits_one_row_in_every_language(stack: Stack, phone: Any) -> None:
    fan = await stack.api.user("fan")
    ph: Phone = await phone("en-US")
    page = ph.page
    await fan_sign_in(page, stack.base, fan.email, "/")
    await expect(page.locator("#nav a").first).to_have_text(NAV["en"])
    for lang in ("en", "de", "es", "fr"):
        await page.locator("#lang").select_option(lang)
        await expect(page.locator("#nav a").first).to_have_text(NAV[lang])
        rows = await header_rows(page)
        assert max(rows["tops"]) - min(rows["tops"]) <= 4, (lang, rows)
        assert rows["scroll"] <= 360, (lang, rows)
        if lang == "de":
            await ph.shot("header-de")
    assert await ph.axe("header") == []
    assert ph.errors == []


async def test_a_never_chosen_language_follows_the_phone(stack: Stack, phone: Any) -> None:
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, timezone="Europe/Berlin")
    # Registered without a language (an API client, another device): not a choice.
    fan = await stack.api.user("fan")
    ph: Phone = await phone("de-DE")
    page = ph.page
    await fan_sign_in(page, stack.base, fan.email, f"/events/{event['event_id']}")
    await expect(page.locator("#nav a").first).to_have_text(NAV["de"])
    await page.reload()
    await expect(page.locator("#nav a").first).to_have_text(NAV["de"])
    await expect(page.locator("html")).to_have_attribute("lang", "de")

    # A language the fan picks is kept, on this phone and in the profile.
    await page.locator("#lang").select_option("en")
    await expect(page.locator("#nav a").first).to_have_text(NAV["en"])
    for _ in range(50):
        me = (await stack.client.get("/api/v1/me", headers=fan.headers)).json()
        if me["locale_chosen"]:
            break
        await page.wait_for_timeout(100)
    assert (me["locale"], me["locale_chosen"]) == ("en", True)
    await page.reload()
    await expect(page.locator("#nav a").first).to_have_text(NAV["en"])

    # English has no short name for Berlin's zone: the city follows the offset.
    when = page.locator("main time")
    await expect(when).to_have_text(re.compile(r"GMT\+1 \(Berlin\)$"))
    assert ph.errors == []


async def test_the_landing_page_groups_sales_by_what_a_fan_can_do(stack: Stack, phone: Any) -> None:
    org = await stack.api.user("organizer")
    tag = datetime.now(UTC).strftime("%H%M%S%f")
    now = datetime.now(UTC)
    on = await stack.api.event(org, name=f"Now {tag}")
    await stack.api.event(org, name=f"Later {tag}", onsale_at=(now + timedelta(days=2)).isoformat())
    gone = await stack.api.event(org, name=f"Gone {tag}")
    r = await stack.client.post(
        f"/api/v1/events/{gone['event_id']}/sections/FLOOR/capacity",
        json={"delta": -100},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    ph: Phone = await phone("fr-FR")
    page = ph.page
    await page.goto(stack.base + "/")
    groups = {"now": ("En vente maintenant", "Now"), "soon": ("Bientôt en vente", "Later"),
              "soldout": ("Complet", "Gone")}  # fmt: skip
    for group, (heading, name) in groups.items():
        section = page.locator(f"main section[data-group={group}]")
        await expect(section.locator("h2")).to_have_text(heading)
        await expect(section.get_by_role("link", name=re.compile(f"{name} {tag}"))).to_be_visible()
    # Each event sits in one group only.
    await expect(page.get_by_role("link", name=re.compile(f"{tag}"))).to_have_count(3)
    await expect(
        page.locator("main section[data-group=soon]").get_by_text(
            re.compile("^Ouverture de la vente")
        )
    ).to_have_count(1)
    assert on["on_sale"] is True
    await ph.shot("landing-fr")
    assert await ph.axe("landing") == []
    assert ph.errors == []
