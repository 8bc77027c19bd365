"""The console's reports page in Chromium on a 360×740 phone, in English, German, Spanish and
French: funnel, sales reconciled with Stripe, occupancy; nothing scrolls sideways, axe-core finds
nothing serious; and on a desktop screen. Screenshots land in tests/artifacts/browser/<test>/."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from playwright.async_api import expect

from tests.browser.conftest import PHONE, Screen, Stack
from tests.browser.test_console_screens import overflow, sign_in_as

pytestmark = pytest.mark.timeout(420)


async def seed_sale(stack: Stack, organizer_id: str, event_id: str, fan_id: str) -> None:
    """Three paid orders (captured), one of them refunded, as the record holds them."""
    conn = await asyncpg.connect(stack.settings.database_url)
    try:
        for i in range(3):
            order_id = uuid.uuid4()
            status = "refunded" if i == 0 else "confirmed"
            await conn.execute(
                "INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code, quantity,"
                " status, amount_cents, currency, payment_intent_id, confirmed_at)"
                " VALUES ($1, $2, $3, $4, 'FLOOR', 2, $5, 10000, 'EUR', $6, now())",
                order_id, uuid.UUID(event_id), uuid.UUID(fan_id), f"h-rep-{i}", status,
                f"pi_rep_{i}",
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO payments (payment_id, order_id, payment_intent_id, status,"
                " amount_cents, currency, authorized_at, captured_at)"
                " VALUES ($1, $2, $3, 'captured', 10000, 'EUR', now(), now())",
                uuid.uuid4(), order_id, f"pi_rep_{i}",
            )  # fmt: skip
            if i == 0:
                await conn.execute(
                    "INSERT INTO refunds (refund_id, order_id, payment_intent_id, amount_cents,"
                    " status, completed_at) VALUES ($1, $2, 'pi_rep_0', 10000, 'succeeded', now())",
                    uuid.uuid4(), order_id,
                )  # fmt: skip
        await conn.execute(
            "UPDATE sections SET sold = 4 WHERE event_id = $1 AND code = 'FLOOR'",
            uuid.UUID(event_id),
        )
    finally:
        await conn.close()


NET = {"en": "€200.00", "de": "200,00\xa0€", "es": "200,00\xa0€", "fr": "200,00\xa0€"}
DESKTOP = {"width": 1280, "height": 900}
HEADING = {"en": "Funnel", "de": "Trichter", "es": "Embudo", "fr": "Entonnoir"}


async def test_reports_at_phone_size_in_four_languages(
    stack: Stack, screens: Callable[..., Awaitable[Screen]]
) -> None:
    organizer = await stack.api.user("organizer")
    fan = await stack.api.user("fan")
    event = await stack.api.event(organizer, name="Sommernachtskonzert im Stadtpark")
    await seed_sale(stack, organizer.user_id, event["event_id"], fan.user_id)

    for lang in ("en", "de", "es", "fr"):
        s = await screens(lang, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                          has_touch=True, locale=lang, base_url=stack.base)  # fmt: skip
        await sign_in_as(s.page, organizer, lang)
        await s.page.goto(f"/console/events/{event['event_id']}/reports")
        await expect(s.page.get_by_role("heading", name=HEADING[lang], exact=True)).to_be_visible()
        await expect(s.page.get_by_test_id("net")).to_have_text(NET[lang])
        await expect(s.page.get_by_test_id("reconciled")).to_have_class("summary ok")
        width = await overflow(s.page)
        assert width["scroll"] <= width["client"], width
        await s.shot(f"reports-{lang}")
        if lang == "en":
            assert await s.axe("reports") == []
            # The CSV button downloads the table the API serves.
            async with s.page.expect_download() as info:
                await s.page.locator("button[data-report=sales]").click()
            text = (await (await info.value).path()).read_text()
            assert text.splitlines()[0].startswith("start,width,tickets")
        assert s.errors == []
    # The sale's own page links here.
    await s.page.goto(f"/console/events/{event['event_id']}")
    await expect(s.page.get_by_role("link", name="Rapports")).to_be_visible()
    # On a desktop screen: the same figures, the tables side by side with room to spare.
    desk = await screens("desktop", viewport=DESKTOP, locale="en", base_url=stack.base)
    await sign_in_as(desk.page, organizer, "en")
    await desk.page.goto(f"/console/events/{event['event_id']}/reports")
    await expect(desk.page.get_by_test_id("net")).to_have_text(NET["en"])
    await expect(desk.page.get_by_test_id("reconciled")).to_have_class("summary ok")
    width = await overflow(desk.page)
    assert width["scroll"] <= width["client"], width
    await desk.shot("reports-desktop")
    assert desk.errors == []
    json.dumps(event)
