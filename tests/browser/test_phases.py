"""Sale phases in the browser at 360×740, against real API and worker processes: an access
code at the room's door (wrong, then right), a registration draw (register, then the
result: you're in with the code, or on the list), in English and German; the console's
sale phases page (create a phase, generate codes) and its per-phase live figures, and a
second account of one person told why the draw set it aside, in four languages. axe-core
clean on each screen."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from playwright.async_api import expect

from tests.browser.conftest import PHONE, Phone, Screen, Stack, fan_sign_in
from tests.browser.test_console_screens import sign_in_as
from tests.support.api import User
from tests.support.checkout import checkout, hold_with
from tests.support.phases import close_registration, phase, verify_emails, window

pytestmark = pytest.mark.timeout(300)

TEXT = {
    "en-US": {
        "door": "Access code",
        "wrong": "This code is not valid",
        "phases": "Sale phases",
        "register": "Register for the draw",
        "registered": "You are registered.",
        "won": "You're in!",
        "listed": "You are on the list.",
    },
    "de-DE": {
        "door": "Zugangscode",
        "wrong": "Dieser Code ist nicht gültig",
        "phases": "Verkaufsphasen",
        "register": "Zur Verlosung anmelden",
        "registered": "Du bist angemeldet.",
        "won": "Du bist dabei!",
        "listed": "Du stehst auf der Liste.",
    },
}


async def _fan(stack: Stack, locale: str) -> User:
    user_id, email = await stack.api.register(
        "fan", f"ph-{uuid.uuid4().hex[:8]}@example.com", locale=locale[:2]
    )
    return User(user_id, email, "", "")


@pytest.mark.parametrize("locale", ["en-US", "de-DE"])
async def test_an_access_code_at_the_door(stack: Stack, phone: Any, locale: str) -> None:
    text = TEXT[locale]
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Presale Night")
    eid = event["event_id"]
    presale = await phase(stack.api, org, eid, name="Fan club presale", audience="code")
    r = await stack.client.post(
        f"/api/v1/events/{eid}/phases/{presale['phase_id']}/codes",
        json={"count": 1},
        headers=org.headers,
    )
    [code] = r.json()["codes"]
    fan = await _fan(stack, locale)
    ph: Phone = await phone(locale)
    page = ph.page
    await fan_sign_in(page, stack.base, fan.email, f"/events/{eid}")
    await expect(page.locator("#phases-title")).to_have_text(text["phases"])
    await expect(page.locator(".phase")).to_contain_text("Fan club presale")
    await page.locator("main button.btn").click()  # join the queue
    room = page.locator("#room")
    await expect(room).to_have_attribute("data-state", "code")
    await expect(room.locator("h2")).to_have_text(text["door"])
    await page.locator("#access-code").fill("ABCD-EFGH-JKLM")
    await page.locator(".code-door button[type=submit]").click()
    await expect(page.locator("#code-error")).to_contain_text(text["wrong"])
    shot = await ph.shot("code-wrong")
    assert await ph.axe("code-wrong") == []
    await page.locator("#access-code").fill(code.lower())
    await page.locator(".code-door button[type=submit]").click()
    await expect(room).to_have_attribute("data-state", "admitted")
    await ph.shot("admitted")
    assert ph.errors == []
    assert shot.exists()


@pytest.mark.parametrize("locale", ["en-US", "de-DE"])
async def test_draw_registration_and_result(stack: Stack, phone: Any, locale: str) -> None:
    text = TEXT[locale]
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Verified Fan Tour")
    eid = event["event_id"]
    now = datetime.now(UTC)
    draw = await phase(
        stack.api,
        org,
        eid,
        name="Verified fan draw",
        audience="draw",
        **window(60 * 24, 60 * 48),
        registration_closes_at=(now + timedelta(hours=20)).isoformat(),
    )
    await phase(
        stack.api, org, eid, name="General sale", audience="everyone", **window(60 * 48, 60 * 96)
    )
    winner, other = await _fan(stack, locale), await _fan(stack, locale)
    await verify_emails(stack.settings.database_url, [winner, other])
    # The other fan registers over the API; ours in the browser.
    r = await stack.client.post(
        f"/api/v1/events/{eid}/phases/{draw['phase_id']}/registrations",
        json={},
        headers={
            "Authorization": f"Bearer {await stack.api.login(other.email, 'correct horse battery')}"
        },
    )
    assert r.status_code == 201, r.text
    ph: Phone = await phone(locale)
    page = ph.page
    await fan_sign_in(page, stack.base, winner.email, f"/events/{eid}")
    form = page.locator("form.register-draw")
    await expect(form.locator("button[type=submit]")).to_have_text(text["register"])
    await ph.shot("phases")
    assert await ph.axe("phases") == []
    await form.locator("select[name=quantity]").select_option("2")
    await form.locator("button[type=submit]").click()
    await expect(page.locator(".draw [role=status]")).to_contain_text(text["registered"])
    await ph.shot("registered")
    assert await ph.axe("registered") == []

    # The deadline passes; the organizer draws one code, so one of the two is listed.
    await close_registration(stack.settings.database_url, draw["phase_id"])
    r = await stack.client.post(
        f"/api/v1/events/{eid}/phases/{draw['phase_id']}/draw",
        json={"codes": 1},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    won = r.json()["order"][0] == winner.user_id
    await page.reload()
    status = page.locator(".draw [role=status]")
    await expect(status).to_contain_text(text["won"] if won else text["listed"])
    if won:
        await expect(page.locator("code.access-code")).to_have_text(
            re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")
        )
    await ph.shot("won" if won else "listed")
    assert await ph.axe("result") == []
    assert ph.errors == []


async def test_console_phases_page_at_phone_size(
    stack: Stack, screens: Callable[..., Awaitable[Screen]]
) -> None:
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Summer Tour")
    eid = event["event_id"]
    await phase(stack.api, org, eid, name="General sale", audience="everyone", **window(60, 600))
    s = await screens(
        "console",
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        timezone_id="Europe/Berlin",
        base_url=stack.base,
    )
    page = s.page
    await sign_in_as(page, org)
    await page.goto(f"/console/events/{eid}/phases")
    await expect(page.locator("h1")).to_contain_text("Sale phases")
    form = page.locator("form.new-phase")
    await form.locator("[data-field=name]").fill("Fan club presale")
    await form.locator("[data-field=audience]").select_option("code")
    await form.locator("input[name=sections]").first.check()
    await form.locator("[data-field=max_per_user]").fill("2")
    await form.locator("button[type=submit]").click()
    card = page.locator(".phase-card[data-audience=code]")
    await expect(card).to_contain_text("Fan club presale")
    await card.locator("form.gen-codes [data-field=count]").fill("25")
    await card.locator("form.gen-codes button[type=submit]").click()
    await expect(card.locator(".codes-out")).to_contain_text("25 codes generated")
    await expect(card.locator("[data-count=codes]")).to_have_text("25")
    # The same audience over the same hours: the overlap is shown at the field.
    await form.locator("[data-field=name]").fill("Second presale")
    await form.locator("[data-field=audience]").select_option("code")
    await form.locator("button[type=submit]").click()
    await expect(form.locator("[data-error-for=opens_at]")).to_contain_text("overlaps")
    await s.shot("console-phases")
    await card.screenshot(path=str(s.folder / "card.png"))
    assert await s.axe("console-phases") == []
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert s.errors == []


FIGURES = {
    "en-US": ("Sale phases", "Tickets sold", "Codes used"),
    "de-DE": ("Verkaufsphasen", "Tickets verkauft", "Codes benutzt"),
    "es-ES": ("Fases de venta", "Entradas vendidas", "Códigos usados"),
    "fr-FR": ("Phases de vente", "Billets vendus", "Codes utilisés"),
}


async def _admitted(stack: Stack, eid: str, fan: User, code: str) -> str:
    """The fan joins with its code and waits for the worker's admission; its token."""
    r = await stack.client.post(
        f"/api/v1/events/{eid}/queue", json={"access_code": code}, headers=fan.headers
    )
    assert r.status_code == 201, r.text
    status = r.json()
    for _ in range(60):
        if status["state"] == "admitted":
            token: str = status["admission_token"]
            return token
        await asyncio.sleep(0.5)
        status = (await stack.client.get(f"/api/v1/events/{eid}/queue", headers=fan.headers)).json()
    raise AssertionError(f"not admitted: {status}")


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "es-ES", "fr-FR"])
async def test_console_per_phase_live_figures(
    stack: Stack, screens: Callable[..., Awaitable[Screen]], locale: str
) -> None:
    org = await stack.api.user("organizer")
    room = {"enabled": True, "admit_batch_size": 10, "admit_interval_s": 1}
    eid = (await stack.api.event(org, name="Summer Tour", waiting_room=room))["event_id"]
    presale = await phase(
        stack.api, org, eid, name="Fan club", audience="code", max_per_user=2, **window(-5, 60)
    )
    await phase(stack.api, org, eid, name="General sale", audience="everyone", **window(60, 600))
    codes = (
        await stack.client.post(
            f"/api/v1/events/{eid}/phases/{presale['phase_id']}/codes",
            json={"count": 3},
            headers=org.headers,
        )
    ).json()["codes"]
    buyer, holder, late = [await stack.api.user() for _ in range(3)]
    # One fan buys two tickets, another holds one.
    hold = await hold_with(
        stack.client, eid, buyer, await _admitted(stack, eid, buyer, codes[0]), 2
    )
    assert hold.status_code == 201, hold.text
    paid = await checkout(stack.client, buyer, hold.json()["hold_id"])
    assert paid.status_code == 201, paid.text
    order = f"/api/v1/orders/{paid.json()['order_id']}"
    for _ in range(60):
        if (await stack.client.get(order, headers=buyer.headers)).json()["status"] == "confirmed":
            break
        await asyncio.sleep(0.5)
    r = await hold_with(stack.client, eid, holder, await _admitted(stack, eid, holder, codes[1]), 1)
    assert r.status_code == 201, r.text

    title, sold_label, used_label = FIGURES[locale]
    s = await screens(
        f"figures-{locale}",
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=locale,
        timezone_id="Europe/Berlin",
        base_url=stack.base,
    )
    page = s.page
    await sign_in_as(page, org, locale[:2])
    await page.goto(f"/console/events/{eid}/phases")
    await expect(page.locator("h1")).to_contain_text(title)
    card = page.locator(".phase-card[data-audience=code]")
    expected = {
        "codes": "3",
        "redeemed": "2",
        "joined": "2",
        "admitted": "2",
        "held": "1",
        "sold": "2",
    }
    for name, value in expected.items():
        await expect(card.locator(f"[data-count={name}]")).to_have_text(value)
    await expect(card).to_contain_text(sold_label)
    await expect(card).to_contain_text(used_label)
    # Live: a third fan comes in with its code; the page shows it without a reload.
    await _admitted(stack, eid, late, codes[2])
    await expect(card.locator("[data-count=joined]")).to_have_text("3", timeout=15_000)
    await expect(card.locator("[data-count=redeemed]")).to_have_text("3")
    await card.scroll_into_view_if_needed()
    await card.screenshot(path=str(s.folder / f"console-phase-figures-{locale[:2]}.png"))
    await s.shot("console-phase-figures")
    assert await s.axe("console-phase-figures") == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert s.errors == []


DUPLICATE = {
    "en-US": "One registration per person.",
    "de-DE": "Eine Anmeldung pro Person.",
    "es-ES": "Una inscripción por persona.",
    "fr-FR": "Une inscription par personne.",
}


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "es-ES", "fr-FR"])
async def test_a_second_account_of_one_person_is_told_why_it_is_not_drawn(
    stack: Stack, phone: Any, locale: str
) -> None:
    org = await stack.api.user("organizer")
    eid = (await stack.api.event(org, name="Verified Fan Tour"))["event_id"]
    now = datetime.now(UTC)
    draw = await phase(
        stack.api,
        org,
        eid,
        name="Verified fan draw",
        audience="draw",
        **window(60 * 24, 60 * 48),
        registration_closes_at=(now + timedelta(hours=20)).isoformat(),
    )
    first, second = await _fan(stack, locale), await _fan(stack, locale)
    await verify_emails(stack.settings.database_url, [first, second])
    conn = await asyncpg.connect(stack.settings.database_url)
    try:  # both accounts name one phone in their notification settings
        for fan in (first, second):
            await conn.execute(
                "INSERT INTO notification_prefs (user_id, phone) VALUES ($1, '+44 7700 900123')",
                uuid.UUID(fan.user_id),
            )
    finally:
        await conn.close()
    for fan in (first, second):
        token = await stack.api.login(fan.email, "correct horse battery")
        r = await stack.client.post(
            f"/api/v1/events/{eid}/phases/{draw['phase_id']}/registrations",
            json={},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
    await close_registration(stack.settings.database_url, draw["phase_id"])
    r = await stack.client.post(
        f"/api/v1/events/{eid}/phases/{draw['phase_id']}/draw",
        json={"codes": 5},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["registrants"] == [first.user_id]
    ph: Phone = await phone(locale)
    page = ph.page
    await fan_sign_in(page, stack.base, second.email, f"/events/{eid}")
    status = page.locator(".draw [role=status]")
    await expect(status).to_contain_text(DUPLICATE[locale])
    await status.scroll_into_view_if_needed()
    await ph.shot("duplicate")
    await page.locator(".draw").screenshot(
        path=str(ph.folder / f"fan-draw-duplicate-{locale[:2]}.png")
    )
    assert await ph.axe("duplicate") == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert ph.errors == []
