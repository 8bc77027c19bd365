"""The console's seat maps on a 360×740 phone (English and German) against real API and worker
processes: upload a pretix seating plan, read its preview (the map, the count of seats and
categories) before saving, save it, block a row and unblock a seat, and watch the live map
show seats held and sold during the sale without a reload. No sideways scroll (the page's
scroll width is asserted), axe-core clean."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import FilePayload, expect

from tests.browser.conftest import PHONE, Screen, Stack
from tests.browser.test_console_screens import overflow, sign_in_as
from tests.support.seat_plans import hold_seats, pretix_bytes

pytestmark = pytest.mark.timeout(300)

TEXT = {
    "en": {
        "title": "Seat maps: Kammerspiele",
        "ga": "General admission: no seat map yet.",
        "categories": "2: Premium, Standard",
        "saved": "Seating plan saved: 96 seats (Premium, Standard).",
        "block": "Block 12 seats",
        "blocked": "12 seats blocked: fans cannot pick them.",
        "unblock": "Unblock 1 seat",
        "summary": "96 seats; categories: Premium, Standard",
    },
    "de": {
        "title": "Saalpläne: Kammerspiele",
        "ga": "Freie Platzwahl: noch kein Saalplan.",
        "categories": "2: Premium, Standard",
        "saved": "Saalplan gespeichert: 96 Plätze (Premium, Standard).",
        "block": "12 Plätze sperren",
        "blocked": "12 Plätze gesperrt: Fans können sie nicht wählen.",
        "unblock": "1 Platz freigeben",
        "summary": "96 Plätze; Kategorien: Premium, Standard",
    },
}


@pytest.mark.parametrize(("lang", "locale"), [("en", "en-GB"), ("de", "de-DE")])
async def test_upload_preview_block_and_the_live_map_on_a_phone(
    stack: Stack, screens: Callable[..., Awaitable[Screen]], lang: str, locale: str
) -> None:
    text = TEXT[lang]
    org = await stack.api.user("organizer")
    event = await stack.api.event(
        org,
        name="Kammerspiele",
        sections=[{"code": "STALLS", "name": "Parkett", "price_cents": 4900, "capacity": 96}],
    )
    event_id = event["event_id"]
    s = await screens(
        lang, viewport=PHONE, locale=locale, timezone_id="Europe/Berlin", base_url=stack.base,
        device_scale_factor=2, is_mobile=True, has_touch=True,
    )  # fmt: skip
    page = s.page
    await sign_in_as(page, org, lang)
    await page.goto(f"/console/events/{event_id}/seats")
    await expect(page.locator("main h1")).to_have_text(text["title"])
    card = page.locator('section[data-section="STALLS"]')
    await expect(card.get_by_test_id("seat-summary")).to_have_text(text["ga"])

    # The preview: the plan's map and its counts, before anything is sent.
    await card.locator("input[type=file]").set_input_files(
        files=FilePayload(
            name="kammerspiele.json", mimeType="application/json", buffer=pretix_bytes()
        )
    )
    preview = card.get_by_test_id("preview")
    await expect(preview.get_by_test_id("preview-seats")).to_have_text("96")
    await expect(preview.get_by_test_id("preview-categories")).to_have_text(text["categories"])
    await expect(preview.locator(".seatmap-svg .seat")).to_have_count(96)
    reach = await overflow(page)
    assert reach["scroll"] <= reach["client"], reach
    await s.shot(f"console-seatmap-preview-{lang}")
    if lang == "en":
        assert not await s.axe("seatmap-preview")
    r = await stack.client.get(f"/api/v1/events/{event_id}/sections/STALLS/seats")
    assert r.status_code != 200 or not r.json().get("seats")  # nothing saved yet

    await preview.get_by_test_id("save-plan").click()
    await expect(card.locator(".seat-message")).to_have_text(text["saved"])
    await expect(card.get_by_test_id("seat-summary")).to_have_text(text["summary"])
    await expect(card.locator(".seat-live .seatmap-svg .seat")).to_have_count(96)

    # Block the front row (select it by row), then unblock one of its seats (on the map).
    await card.locator("select").first.select_option("A")
    await card.get_by_role("button", name=re.compile("row|Reihe")).first.click()
    await card.get_by_role("button", name=text["block"]).click()
    await expect(card.locator(".seat-message")).to_have_text(text["blocked"])
    await expect(card).to_have_attribute("data-blocked", "12")
    await card.locator('.seat-live [data-seat="A-6"]').tap()
    await card.get_by_role("button", name=text["unblock"]).click()
    await expect(card).to_have_attribute("data-blocked", "11")
    r = await stack.client.get(f"/api/v1/events/{event_id}/sections/STALLS/seats")
    statuses = {x["seat_id"]: x["status"] for x in r.json()["seats"]}
    assert statuses["A-6"] == "free"
    assert statuses["A-5"] == "blocked"

    # During the sale: fans' holds show on the live map without a reload.
    await hold_seats(stack.api, event_id, "STALLS", ["D-6", "D-7"])
    await expect(card).to_have_attribute("data-held", "2", timeout=10_000)
    await expect(card.locator('.seat-live [data-seat="D-6"]')).to_have_attribute(
        "data-status", "held"
    )
    reach = await overflow(page)
    assert reach["scroll"] <= reach["client"], reach
    await s.shot(f"console-seatmap-{lang}")
    if lang == "en":
        assert not await s.axe("seatmap")
    assert not s.errors, s.errors
