"""The fan's whole journey in a phone-sized Chromium against real API and worker processes:
register → pre-queue → sale opens → admitted → hold 2 → pay in Elements → order → QR → verify.

Issue 13's acceptance; screenshots of every step land in tests/artifacts/browser/.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import expect

from tests.browser.conftest import Phone, Stack, verify_ticket_cli
from tests.support.api import bulk_fans

pytestmark = pytest.mark.timeout(300)

# Text the page must show, per language (from the message catalogs, as a fan reads it).
TEXT = {
    "en-US": {
        "prequeue": "You are in the pre-queue",
        "waiting": "You are in the queue",
        "admitted": "It is your turn!",
        "hold": "Your seats are held",
        "confirmed": "Payment confirmed. Here are your tickets.",
        "amount": re.compile(r"^€100\.00$"),
        "pay": re.compile(r"^Pay €100\.00$"),
    },
    "de-DE": {
        "prequeue": "Du bist in der Vor-Warteschlange",
        "waiting": "Du bist in der Warteschlange",
        "admitted": "Du bist dran!",
        "hold": "Deine Plätze sind reserviert",
        "confirmed": "Zahlung bestätigt. Hier sind deine Tickets.",
        # German grouping and decimal comma, the euro sign after a (no-break) space.
        "amount": re.compile(r"^100,00\s€$"),
        "pay": re.compile(r"^100,00\s€ bezahlen$"),
    },
}
OPENS_IN_S = 25


async def onsale_event(stack: Stack, fans_ahead: int) -> dict[str, Any]:
    """An event whose sale opens in OPENS_IN_S s, its pre-queue open, fans already queued."""
    now = datetime.now(UTC)
    org = await stack.api.user("organizer")
    event = await stack.api.event(
        org,
        name="Rooftop Sessions",
        venue="Kulturbrauerei, Berlin",
        onsale_at=(now + timedelta(seconds=OPENS_IN_S)).isoformat(),
        sections=[
            {"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 100},
            {"code": "BALC", "name": "Balcony", "price_cents": 3500, "capacity": 40},
        ],
        waiting_room={
            "enabled": True,
            "admit_batch_size": 1,
            "admit_interval_s": 2,
            "max_active_shoppers": 100,
            "session_ttl_s": 600,
            "prequeue_opens_at": (now - timedelta(minutes=5)).isoformat(),
            "mode": "fifo",
        },
    )
    for fan in await bulk_fans(stack.settings, fans_ahead):
        r = await stack.client.post(
            f"/api/v1/events/{event['event_id']}/queue", headers=fan.headers
        )
        assert r.status_code == 201, r.text
    return event


@pytest.mark.slow
@pytest.mark.parametrize("locale", ["en-US", "de-DE"])
async def test_whole_journey_on_a_phone(stack: Stack, phone: Any, locale: str) -> None:
    text = TEXT[locale]
    event = await onsale_event(stack, fans_ahead=3)
    ph: Phone = await phone(locale)
    page = ph.page

    # Events → event page → join: not signed in yet, so register first.
    await page.goto(stack.base + "/")
    await expect(page.get_by_role("link", name=re.compile("Rooftop Sessions"))).to_be_visible()
    await ph.shot("events")
    await page.get_by_role("link", name=re.compile("Rooftop Sessions")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Rooftop Sessions")
    await ph.shot("event")
    await page.locator("main .btn").click()
    await expect(page).to_have_url(re.compile(r"/signin\?next="))
    await page.locator("main a[href^='/register']").click()  # "Create account"
    await expect(page).to_have_url(re.compile(r"/register\?next="))
    await page.locator("#f-name").fill("Robin Fan")
    await page.locator("#f-email").fill(f"robin-{locale}-{datetime.now().timestamp()}@example.com")
    await page.locator("#f-password").fill("a long enough password")
    await ph.shot("register")
    await page.locator("main form button[type=submit]").click()

    # The pre-queue: a countdown to the opening, our place kept.
    room = page.locator("#room")
    await expect(page).to_have_url(re.compile(r"/events/[^/]+/queue$"))
    await expect(room).to_have_attribute("data-state", "prequeue", timeout=15_000)
    await expect(room.locator("h2")).to_have_text(text["prequeue"])
    await expect(room.locator(".countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    await ph.shot("prequeue")
    assert await ph.axe("waiting-room-prequeue") == []

    # The sale opens: three fans are ahead, one admitted every 2 s.
    opening_ms = OPENS_IN_S * 1000 + 15_000
    await expect(room).to_have_attribute("data-state", "waiting", timeout=opening_ms)
    await expect(room.locator("h2")).to_have_text(text["waiting"])
    await expect(page.locator("#place")).to_have_text(re.compile(r"^#\d+$"))
    await ph.shot("waiting")
    assert await ph.axe("waiting-room") == []

    await expect(room).to_have_attribute("data-state", "admitted", timeout=60_000)
    await expect(room.locator("h2")).to_have_text(text["admitted"])
    await expect(page.locator("#qty")).to_have_text("2")
    await ph.shot("admitted")

    # Hold 2 on the floor (50 each), then pay with the test card in the Elements form.
    await page.locator("#room form button[type=submit]").click()
    await expect(page).to_have_url(re.compile(r"/holds/[^/]+$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(text["hold"])
    await expect(page.locator("#amount")).to_have_text(text["amount"])
    await expect(page.locator("#hold-clock")).to_have_text(re.compile(r"^(9|10):\d\d$"))
    card = page.locator("#card-element")
    await expect(card.locator("input").first).to_be_visible()
    await expect(page.locator("#pay-form button[type=submit]")).to_have_text(text["pay"])
    await ph.shot("hold")
    # The card form belongs to Stripe.js (an iframe Stripe owns in production).
    assert await ph.axe("hold", exclude=("#card-element",)) == []
    await card.locator("input[placeholder=number]").fill("4242424242424242")
    await card.locator("input[placeholder=exp_month]").fill("12")
    await card.locator("input[placeholder=exp_year]").fill("34")
    await card.locator("input[placeholder=cvc]").fill("123")
    await card.locator("input[placeholder=postal_code]").fill("10115")
    await ph.shot("card")
    await page.locator("#pay-form button[type=submit]").click()

    # The order: confirmed once the worker has finalized it; one QR code per ticket.
    await expect(page).to_have_url(re.compile(r"/orders/[^/]+$"))
    order = page.locator("#order")
    await expect(order).to_have_attribute("data-status", "confirmed", timeout=30_000)
    await expect(order.get_by_text(text["confirmed"])).to_be_visible()
    tickets = page.locator(".ticket")
    await expect(tickets).to_have_count(2)
    await ph.shot("order")
    assert await ph.axe("order") == []

    # A shown code, read back from the pixels on screen, verifies at the door.
    first = tickets.first
    shown = ph.folder / "ticket-qr.png"
    # The code rotates every 15 s: the one read must be what the card showed just before
    # or just after the picture was taken.
    before = await first.get_attribute("data-code")
    await first.locator("svg").screenshot(path=str(shown))
    after = await first.get_attribute("data-code")
    decoded = zxingcpp.read_barcodes(Image.open(shown))
    assert len(decoded) == 1, "the QR code on screen does not scan"
    code = decoded[0].text
    assert code in (before, after)
    verdict = verify_ticket_cli(stack.base, event["event_id"], code)
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert verdict.stdout.startswith("valid: ticket")
    assert event["event_id"] in verdict.stdout

    # My tickets leads to the orders, which list the order and open it again.
    await page.locator("#nav a[href='/tickets']").click()
    await page.locator("main a[href='/orders']").click()
    await expect(page).to_have_url(re.compile(r"/orders$"))
    listed = page.locator("main .list a.card")
    await expect(listed).to_have_count(1)
    await expect(listed).to_contain_text("Rooftop Sessions")
    await ph.shot("my-tickets")
    await listed.click()
    await expect(page.locator("#order")).to_have_attribute("data-status", "confirmed")
    assert ph.errors == []
