"""The console's screens of issue 26 in Chromium against real API and worker processes.

Every console page on a 360×740 phone, in English and in German, with no horizontal scroll
(the page's scroll width is asserted, not eyeballed): tables become cards, the fairness seed
wraps. On a desktop: the audit log read and filtered as a timeline, a dead webhook delivery
replayed until it arrives, closed-loop targets set and the controller's state shown, and the
confirmations before a role grant. axe-core finds nothing serious on the new pages.
Screenshots land in tests/artifacts/browser/<test>/ (docs/screenshots/ is copied from there).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest
from playwright.async_api import Page, expect

from app.core.settings import Settings
from tests.browser.conftest import PHONE, Screen, Stack
from tests.support.api import User
from tests.support.notify import Receiver, http_receiver

pytestmark = pytest.mark.timeout(420)

DESKTOP = {"width": 1280, "height": 800}
LONG_NAME = "Philharmonie Open-Air Sommernachtskonzert mit Gästen"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as r:
        yield r


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The webhook receiver of these tests listens on 127.0.0.1; retries come fast.
    return msgspec.structs.replace(
        settings, webhook_allow_private=True, notify_backoff_s=0.2, notify_max_attempts=2
    )


@dataclass
class Sale:
    organizer: User
    admin: User
    fan: User
    event: dict[str, Any]
    order_ids: list[str]
    webhook_id: str
    dead_delivery: int


async def make_sale(stack: Stack, receiver: Receiver) -> Sale:
    """A published random-at-open event whose seed is revealed, three orders, a webhook with a
    dead delivery to a receiver that now answers, targets for closed-loop admission, a role
    grant in the audit log."""
    api = stack.api
    organizer, admin, fan = await api.user("organizer"), await api.user("admin"), await api.user()
    event = await api.event(
        organizer,
        name=LONG_NAME,
        sections=[
            {"code": "FLOOR-STANDING", "name": "Stehplätze im Innenraum", "price_cents": 8900,
             "capacity": 420},
            {"code": "BALC", "name": "Balkon", "price_cents": 4900, "capacity": 80},
        ],
        waiting_room={"enabled": True, "mode": "random_at_open", "admit_batch_size": 40,
                      "admit_interval_s": 2, "max_active_shoppers": 200, "session_ttl_s": 600},
    )  # fmt: skip
    event_id = event["event_id"]
    order_ids = [str(uuid.uuid4()) for _ in range(3)]
    r = await api.client.post(
        f"/api/v1/events/{event_id}/webhooks",
        json={"url": receiver.url + "/onsale-hook", "topics": ["sale.sold_out"]},
        headers=organizer.headers,
    )
    assert r.status_code == 201, r.text
    webhook_id = r.json()["webhook_id"]
    conn = await asyncpg.connect(stack.settings.database_url)
    try:
        for i, order_id in enumerate(order_ids):
            await conn.execute(
                "INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code, quantity,"
                " status, amount_cents, currency, payment_intent_id, confirmed_at)"
                " VALUES ($1, $2, $3, $4, 'FLOOR-STANDING', 2, 'confirmed', 17800, 'EUR', $5,"
                " now())",
                uuid.UUID(order_id), uuid.UUID(event_id), uuid.UUID(fan.user_id),
                f"h-screens-{i}", f"pi_screens_{i}",
            )  # fmt: skip
        # A sold-out message the receiver refused until the budget ran out (it answers now).
        message_id = await conn.fetchval(
            "INSERT INTO outbox (kind, dedup_key, payload, dispatched_at)"
            " VALUES ('sale_sold_out', $1, $2, now()) RETURNING message_id",
            f"sale_sold_out:{event_id}",
            json.dumps({"event_id": event_id}),
        )
        dead = await conn.fetchval(
            "INSERT INTO deliveries (message_id, channel, target, endpoint_id, status, attempts,"
            " last_error, response_status)"
            " VALUES ($1, 'webhook', $2, $3, 'dead', 2, 'HTTP 503 Service Unavailable', 503)"
            " RETURNING delivery_id",
            message_id, receiver.url + "/onsale-hook", uuid.UUID(webhook_id),
        )  # fmt: skip
    finally:
        await conn.close()
    r = await api.client.put(
        f"/api/v1/events/{event_id}/admission/targets",
        json={"hold_p99_ms": 250, "hold_success_min": 0.9, "max_shoppers": 150},
        headers=organizer.headers,
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"/api/v1/admin/users/{fan.user_id}/roles",
        json={"roles": ["organizer"]},
        headers=admin.headers,
    )
    assert r.status_code in (200, 201, 204), r.text
    return Sale(organizer, admin, fan, event, order_ids, webhook_id, dead)


async def sign_in_as(page: Page, user: User, lang: str = "en") -> None:
    """The console's stored session for this account (sign-in itself is test_console.py's)."""
    await page.goto("/console/signin")
    await page.evaluate(
        """([token, lang]) => {
            localStorage.setItem('onsale.session.console', JSON.stringify(
                {access_token: token, refresh_token: null, expires_at: Date.now() + 3600000}));
            localStorage.setItem('onsale.console.lang', lang);
        }""",
        [user.token, lang],
    )


async def overflow(page: Page) -> dict[str, int]:
    """How far the page reaches sideways: its scroll width against the viewport's width."""
    result: dict[str, int] = await page.evaluate(
        """() => ({scroll: Math.max(document.documentElement.scrollWidth,
                                    document.body.scrollWidth),
                   client: document.documentElement.clientWidth})"""
    )
    return result


@pytest.fixture
def screen(
    screens: Callable[..., Awaitable[Screen]],
) -> Callable[..., Awaitable[Screen]]:
    async def make(base_url: str, name: str, viewport: dict[str, int], locale: str) -> Screen:
        phone = viewport == PHONE
        s = await screens(
            name,
            viewport=viewport,
            locale=locale,
            timezone_id="Europe/Berlin",
            base_url=base_url,
            device_scale_factor=2 if phone else 1,
            is_mobile=phone,
            has_touch=phone,
        )
        s.page.on(
            "console",
            lambda msg: s.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        s.page.on(
            "request",
            lambda req: (
                None
                if req.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                else s.errors.append(f"outside request: {req.url}")
            ),
        )
        return s

    return make


# Every page of the console: (path below /console, a heading it shows in English, in German,
# the screenshot's name or None). {e} is the event, {o} an order.
PAGES = [
    ("/", "Your events", "Ihre Veranstaltungen", "events"),
    ("/events/new", "New event", "Neue Veranstaltung", None),
    ("/events/{e}/edit", "Edit", "bearbeiten", None),
    ("/events/{e}", LONG_NAME, LONG_NAME, "live"),
    ("/events/{e}/checkin", "Check-in:", "Einlass:", None),
    ("/events/{e}/phases", "Sale phases:", "Verkaufsphasen:", None),
    ("/events/{e}/discounts", "Discount codes ·", "Rabattcodes ·", None),
    ("/events/{e}/types", "Ticket types ·", "Ticketarten ·", None),
    ("/events/{e}/money", "Fees and tax:", "Gebühren und Steuer:", None),
    ("/events/{e}/attendees", "Attendee details:", "Teilnehmerangaben:", None),
    ("/events/{e}/admission", "Admission of", "Einlass bei", "admission"),
    ("/events/{e}/seats", "Seat maps:", "Saalpläne:", None),
    ("/events/{e}/reports", "Reports:", "Berichte:", None),
    ("/events/{e}/webhooks", "Webhooks of", "Webhooks von", "webhooks"),
    ("/events/{e}/audit", "Activity log of", "Aktivitäten von", "event-audit"),
    ("/webhooks", "Webhooks for all your events", "Webhooks für alle Ihre", None),
    ("/orders", "Orders", "Bestellungen", "orders"),
    ("/orders/{o}", "Order", "Bestellung", None),
    ("/admin", "Admin", "Verwaltung", "admin"),
    ("/admin/audit", "Audit log", "Audit-Log", "audit"),
    ("/account", "Your account", "Ihr Konto", None),
    ("/team", "Team", "Team", None),
    ("/team/audit", "Audit log", "Audit-Log", None),  # an admin outside every team: all of it
    ("/invitations", "Join a team", "Einem Team beitreten", None),
    ("/no-such-page", "404", "404", None),
]
ROUTES_JS = Path(__file__).resolve().parents[2] / "app" / "web" / "console" / "app.js"


def test_the_list_of_pages_covers_every_route_of_the_console() -> None:
    """A page added to the router joins PAGES (and so the no-sideways-scroll check)."""
    routes = [
        re.compile(r.replace("\\/", "/"))
        for r in re.findall(r"re: /(.+?)/, load:", ROUTES_JS.read_text())
    ]
    assert len(routes) >= 14
    paths = [p.format(e="EVENT", o="ORDER") for p, *_ in PAGES] + ["/signin"]
    unvisited = [r.pattern for r in routes if not any(r.match(p) for p in paths)]
    assert unvisited == []


NEW_PAGES = {"admission", "webhooks", "event-audit", "audit", "orders", "admin"}


async def test_every_console_page_fits_a_phone_in_english_and_german(
    stack: Stack, screen: Callable[..., Awaitable[Screen]], receiver: Receiver
) -> None:
    sale = await make_sale(stack, receiver)
    event_id, order_id = sale.event["event_id"], sale.order_ids[0]
    for lang, locale, viewport in (
        ("en", "en-GB", PHONE),
        ("de", "de-DE", PHONE),
        ("de", "de-DE", DESKTOP),
    ):
        phone = viewport == PHONE
        s = await screen(stack.base, f"{'phone' if phone else 'desktop'}-{lang}", viewport, locale)
        page = s.page
        await sign_in_as(page, sale.admin, lang)
        for path, heading_en, heading_de, shot in PAGES:
            url = "/console" + path.format(e=event_id, o=order_id)
            await page.goto(url)
            h1 = page.locator("main h1")
            try:
                await expect(h1).to_contain_text(heading_en if lang == "en" else heading_de)
            except AssertionError:
                raise AssertionError((url, s.errors)) from None
            await page.wait_for_load_state("networkidle")
            if path == "/events/{e}":
                # The fairness commitment (and the seed, once revealed) is shown in full,
                # wrapped across the page's width, not one character a line.
                codes = page.locator(".fairness dd code")
                await expect(codes.first).to_have_text(sale.event["fairness"]["seed_sha256"])
                for i in range(await codes.count()):
                    box = await codes.nth(i).bounding_box()
                    assert box is not None
                    assert box["width"] > viewport["width"] / 4, box
                    assert box["height"] < 200, box
                await page.wait_for_timeout(300)  # the charts measure their width
            reach = await overflow(page)
            assert reach["scroll"] <= reach["client"], (lang, url, reach)
            if shot and phone:
                await s.shot(shot)
            if lang == "en" and shot in NEW_PAGES:
                assert not await s.axe(shot), shot
        if not phone:
            assert not s.errors, s.errors
            continue
        # The section table's rows are cards on a phone: every cell says what it is.
        await page.goto(f"/console/events/{event_id}")
        row = page.locator('tr[data-section="FLOOR-STANDING"]')
        await expect(row.locator('[data-col="held"]')).to_have_attribute(
            "data-label", "Held" if lang == "en" else "Reserviert"
        )
        withdraw = row.get_by_role("button", name="Withdraw" if lang == "en" else "Zurückziehen")
        await withdraw.scroll_into_view_if_needed()
        await expect(withdraw).to_be_in_viewport(ratio=1)  # whole, not cut off at the side
        # Signed out, the sign-in page fits too.
        await page.evaluate("() => localStorage.removeItem('onsale.session.console')")
        await page.goto("/console/signin")
        await expect(page.locator("main h1")).to_contain_text(
            "Sign in" if lang == "en" else "Anmelden"
        )
        reach = await overflow(page)
        assert reach["scroll"] <= reach["client"], (lang, "signin", reach)
        assert not s.errors, s.errors


async def test_audit_log_filters_and_webhook_replay_on_a_desktop(
    stack: Stack, screen: Callable[..., Awaitable[Screen]], receiver: Receiver
) -> None:
    sale = await make_sale(stack, receiver)
    event_id = sale.event["event_id"]
    s = await screen(stack.base, "desktop", DESKTOP, "en-GB")
    page = s.page
    await sign_in_as(page, sale.admin)

    # The audit log reads as people and events, filtered by who and what.
    await page.goto("/console/admin/audit")
    await expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    timeline = page.get_by_role("list", name="Entries, newest first")
    grant = timeline.locator('li[data-action="user.roles_grant"]')
    await expect(grant.get_by_test_id("audit-who")).to_have_text(f"by {sale.admin.email}")
    await expect(grant.get_by_test_id("audit-target")).to_have_text(sale.fan.email)
    await expect(grant.get_by_test_id("audit-from")).to_contain_text("from ")
    publish = timeline.locator('li[data-action="event.publish"]')
    await expect(publish).to_contain_text(LONG_NAME)
    await expect(publish.get_by_test_id("audit-who")).to_have_text(f"by {sale.organizer.email}")
    await grant.get_by_text("Details").click()
    await expect(grant.locator("dd").first).to_have_text("organizer")
    await s.shot("audit")
    assert not await s.axe("audit")

    needle = sale.organizer.email.split("@")[0][-8:]
    await page.get_by_label("Who (email contains)").fill(needle)
    await page.get_by_label("What").select_option("event.publish")
    await page.get_by_role("button", name="Filter").click()
    await expect(page).to_have_url(
        f"{stack.base}/console/admin/audit?actor={needle}&action=event.publish"
    )
    entries = timeline.locator("li[data-action]")
    await expect(entries).to_have_count(1)
    await expect(entries.first).to_have_attribute("data-action", "event.publish")
    await s.shot("audit-filtered")
    # Someone who did nothing: nothing matches, and the page says so.
    await page.get_by_label("Who (email contains)").fill("nobody-" + uuid.uuid4().hex[:6])
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_test_id("audit-empty")).to_have_text("No entries match these filters.")

    # Orders page by 50, newest first: 55 of them make two pages, and back.
    conn = await asyncpg.connect(stack.settings.database_url)
    try:
        await conn.executemany(
            "INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code, quantity,"
            " status, amount_cents, currency, payment_intent_id, created_at)"
            " VALUES ($1, $2, $3, $4, 'BALC', 1, 'confirmed', 4900, 'EUR', $5,"
            " now() - make_interval(mins => $6))",
            [
                (uuid.uuid4(), uuid.UUID(event_id), uuid.UUID(sale.fan.user_id),
                 f"h-page-{i}", f"pi_page_{i}", 10 + i)
                for i in range(52)
            ],
        )  # fmt: skip
    finally:
        await conn.close()
    await page.goto(f"/console/orders?event={event_id}")
    rows = page.locator("tr[data-order-id]")
    await expect(rows).to_have_count(50)
    first_page = set(await rows.evaluate_all("(rs) => rs.map((r) => r.dataset.orderId)"))
    await page.get_by_role("link", name="Older orders").click()
    await expect(rows).to_have_count(5)
    second_page = set(await rows.evaluate_all("(rs) => rs.map((r) => r.dataset.orderId)"))
    assert not first_page & second_page
    assert len(first_page | second_page) == 55
    await expect(page.get_by_role("link", name="Older orders")).to_have_count(0)
    await page.get_by_role("link", name="Back to the newest").click()
    await expect(rows).to_have_count(50)

    # The organizer replays the dead delivery; the receiver gets it; the log says delivered.
    s2 = await screen(stack.base, "organizer", DESKTOP, "en-GB")
    page = s2.page
    await sign_in_as(page, sale.organizer)
    await page.goto(f"/console/events/{event_id}")
    await page.get_by_role("link", name="Webhooks").click()
    await expect(page.get_by_role("heading", name=f"Webhooks of {LONG_NAME}")).to_be_visible()
    card = page.locator(f'li[data-webhook-id="{sale.webhook_id}"]')
    await card.get_by_role("button", name="Show deliveries").click()
    dead = card.locator(f'li[data-delivery-id="{sale.dead_delivery}"]')
    await expect(dead).to_have_attribute("data-status", "dead")
    await expect(dead.get_by_test_id("attempts")).to_have_text("2")
    await expect(dead).to_contain_text("HTTP 503")
    await s2.shot("webhook-dead")
    assert not await s2.axe("webhooks")
    assert receiver.on("/onsale-hook") == []
    await dead.get_by_role("button", name="Send again").click()
    await expect(page.get_by_role("status").first).to_contain_text(
        f"Delivery #{sale.dead_delivery} will be sent again now."
    )
    for _ in range(60):
        if receiver.on("/onsale-hook"):
            break
        await asyncio.sleep(0.25)
    (hit,) = receiver.on("/onsale-hook")
    assert hit.headers["Onsale-Delivery"] == str(sale.dead_delivery)
    assert hit.json()["type"] == "sale.sold_out"
    await card.get_by_role("button", name="Hide deliveries").click()
    await card.get_by_role("button", name="Show deliveries").click()
    await expect(dead).to_have_attribute("data-status", "sent", timeout=15_000)
    await s2.shot("webhook-replayed")

    # Another webhook from the form: its secret is shown once; removed after a confirmation.
    await page.get_by_label("Address (URL)").fill(receiver.url + "/second")
    await page.get_by_label("Order refunded").uncheck()
    await page.get_by_role("button", name="Add webhook").click()
    secret = page.get_by_test_id("webhook-secret")
    await expect(secret).to_have_text(re.compile(r"^whsec_"))
    listed = (
        await stack.client.get(
            f"/api/v1/events/{event_id}/webhooks", headers=sale.organizer.headers
        )
    ).json()["items"]
    (second,) = [w for w in listed if w["url"].endswith("/second")]
    assert second["topics"] == ["order.confirmed", "sale.sold_out"]
    assert "secret" not in second  # shown once, on the page, from the creating answer
    new_card = page.locator(f'li[data-webhook-id="{second["webhook_id"]}"]')
    await new_card.get_by_role("button", name="Remove").click()
    await expect(page.get_by_role("dialog", name="Remove this webhook?")).to_contain_text(
        receiver.url + "/second"
    )
    await page.get_by_test_id("confirm-remove-webhook").click()
    await expect(new_card).to_have_count(0)
    listed = (
        await stack.client.get(
            f"/api/v1/events/{event_id}/webhooks", headers=sale.organizer.headers
        )
    ).json()["items"]
    assert [w["webhook_id"] for w in listed] == [sale.webhook_id]

    # Closed-loop targets: the controller's state, then the targets changed from the page.
    await page.goto(f"/console/events/{event_id}/admission")
    await expect(page.get_by_test_id("admission-mode")).to_contain_text("Closed loop")
    hold_p99 = page.locator('li[data-signal="hold_p99_ms"]')
    await expect(hold_p99).to_contain_text("Target: at most 250 ms")
    await page.get_by_label("Payment errors, at most (%)").fill("150")
    await page.get_by_role("button", name="Save targets").click()
    await expect(page.locator('[data-error-for="payment_error_max"]')).to_have_text(
        "Enter a percentage from 0 to 100."
    )
    await page.get_by_label("Payment errors, at most (%)").fill("5")
    await page.get_by_role("button", name="Save targets").click()
    await expect(page.locator('li[data-signal="payment_error_rate"]')).to_contain_text(
        "Target: at most 5%"
    )
    r = await stack.client.get(
        f"/api/v1/events/{event_id}/admission", headers=sale.organizer.headers
    )
    assert r.json()["targets"] == {
        "hold_p99_ms": 250.0, "hold_success_min": 0.9, "payment_error_max": 0.05,
        "max_shoppers": 150,
    }  # fmt: skip
    await s2.shot("admission")
    assert not await s2.axe("admission")
    for name in ("hold_p99_ms", "hold_success_min", "payment_error_max", "max_shoppers"):
        await page.locator(f'[data-field="{name}"]').fill("")
    await page.get_by_role("button", name="Save targets").click()
    await expect(page.get_by_test_id("admission-mode")).to_contain_text("Fixed")
    assert not s.errors, s.errors
    assert not s2.errors, s2.errors


async def test_risky_actions_ask_first_and_withdrawals_say_what_is_true(
    stack: Stack, screen: Callable[..., Awaitable[Screen]], receiver: Receiver
) -> None:
    """On a phone in German: a role grant, a publish and a withdrawal each open a dialog that
    says what will happen; cancelling changes nothing. With every seat held, a withdrawal says
    that none can be withdrawn and why, not a number of seats that are not there."""
    api = stack.api
    sale = await make_sale(stack, receiver)
    draft = await api.event(sale.organizer, publish=False, name="Entwurf")
    s = await screen(stack.base, "confirm-de", PHONE, "de-DE")
    page = s.page
    await sign_in_as(page, sale.admin, "de")

    # A role grant: the dialog says what the role allows; cancel leaves the account as it was.
    other = await api.user()
    await page.goto(f"/console/admin?q={other.email}")
    row = page.locator(f'tr[data-user-id="{other.user_id}"]')
    await row.get_by_role("button", name="Zu Admin machen").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text(f"{other.email} kann dann alles")
    await s.shot("confirm-grant")
    assert not await s.axe("confirm-grant")
    await dialog.get_by_role("button", name="Abbrechen").click()
    await expect(dialog).to_have_count(0)
    r = await api.client.get(
        "/api/v1/admin/users", params={"q": other.email}, headers=sale.admin.headers
    )
    assert r.json()["items"][0]["roles"] == ["fan"]
    await row.get_by_role("button", name="Zu Veranstalter machen").click()
    await page.get_by_test_id("confirm-role").click()
    await expect(row.get_by_role("button", name="Veranstalter entfernen")).to_be_visible()

    # Publishing asks first, listing the sections and when the sale opens.
    await page.goto(f"/console/events/{draft['event_id']}")
    await page.get_by_role("button", name="Veröffentlichen").click()
    dialog = page.get_by_role("dialog", name="Entwurf veröffentlichen?")
    await expect(dialog).to_contain_text("FLOOR (Floor): 100 Plätze zu")
    await s.shot("confirm-publish")
    await dialog.get_by_role("button", name="Abbrechen").click()
    r = await api.client.get(f"/api/v1/events/{draft['event_id']}", headers=sale.organizer.headers)
    assert r.json()["status"] == "draft"
    await page.get_by_role("button", name="Veröffentlichen").click()
    await page.get_by_test_id("confirm-publish").click()
    await expect(page.locator(".lead .tag")).to_have_text("Im Verkauf")

    # Withdrawing: the dialog gives today's figures; then, with every seat held, the truth.
    event_id = sale.event["event_id"]
    await page.goto(f"/console/events/{event_id}")
    balc = page.locator('tr[data-section="BALC"]')
    await balc.get_by_label("Plätze für BALC").fill("5")
    await balc.get_by_role("button", name="Zurückziehen").click()
    dialog = page.get_by_role("dialog", name="5 Plätze aus BALC zurückziehen?")
    await expect(dialog).to_contain_text("80 Plätze frei")
    await s.shot("confirm-withdraw")
    await page.get_by_test_id("confirm-withdraw").click()
    await expect(balc.locator('[data-col="capacity"]')).to_have_attribute("data-value", "75")

    # Every seat of the (now published) draft held, through the API as fans would; its
    # room is off, so joining admits at once.
    held = 0
    for fan in await api.users(17):
        r = await api.client.post(f"/api/v1/events/{draft['event_id']}/queue", headers=fan.headers)
        assert r.status_code == 201, r.text
        quantity = min(6, 100 - held)
        r = await api.client.post(
            f"/api/v1/events/{draft['event_id']}/holds",
            json={"section": "FLOOR", "quantity": quantity},
            headers={**fan.headers, "X-Admission-Token": r.json()["admission_token"],
                     "Idempotency-Key": uuid.uuid4().hex},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        held += quantity
    assert held == 100
    await page.goto(f"/console/events/{draft['event_id']}")
    floor = page.locator('tr[data-section="FLOOR"]')
    await expect(floor.locator('[data-col="available"]')).to_have_attribute("data-value", "0")
    await floor.get_by_label("Plätze für FLOOR").fill("1")
    await floor.get_by_role("button", name="Zurückziehen").click()
    error = floor.locator('[data-error-for="delta"]')
    await expect(error).to_have_text(
        "Aus FLOOR lässt sich gerade kein Platz zurückziehen: keiner ist frei (100 reserviert,"
        " 0 verkauft). Reservierte Plätze kommen zurück, wenn ihre Reservierung abläuft."
    )
    await expect(page.get_by_role("dialog")).to_have_count(0)
    await s.shot("withdraw-none-left")
    reach = await overflow(page)
    assert reach["scroll"] <= reach["client"], reach
    assert not s.errors, s.errors
