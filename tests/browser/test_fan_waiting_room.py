"""The waiting room in a phone-sized Chromium: a reload keeps the place, a cut stream falls back
to polling and recovers, and the paused, not-yet-open and sold-out states are drawn."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Page, Route, expect

from tests.browser.conftest import Phone, Stack, fan_sign_in
from tests.support.api import PASSWORD, User, bulk_fans

pytestmark = pytest.mark.timeout(300)


def room(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "enabled": True,
        "admit_batch_size": 1,
        "admit_interval_s": 1,
        "max_active_shoppers": 2,
        "session_ttl_s": 600,
        "mode": "fifo",
    }
    body.update(overrides)
    return body


async def sign_in(page: Page, base: str, fan: User, next_path: str) -> None:
    await fan_sign_in(page, base, fan.email, next_path)
    await expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


async def leave(stack: Stack, event_id: str, fan: User) -> None:
    r = await stack.client.delete(f"/api/v1/events/{event_id}/queue", headers=fan.headers)
    assert r.status_code == 204, r.text


@pytest.mark.slow
async def test_reload_keeps_the_place_and_a_cut_stream_falls_back_to_polling(
    stack: Stack, phone: Any
) -> None:
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, waiting_room=room())
    event_id = event["event_id"]
    # Five fans before ours: two are admitted (max_active_shoppers=2), three wait ahead of us.
    others = await bulk_fans(stack.settings, 5)
    for fan in others:
        r = await stack.client.post(f"/api/v1/events/{event_id}/queue", headers=fan.headers)
        assert r.status_code == 201, r.text
    me = await stack.api.user("fan")
    ph: Phone = await phone("en-US")
    page = ph.page
    await sign_in(page, stack.base, me, f"/events/{event_id}/queue")

    room_el = page.locator("#room")
    place = page.locator("#place")
    transport = page.locator("#transport")
    await expect(room_el).to_have_attribute("data-state", "waiting", timeout=20_000)
    await expect(place).to_have_text("#4", timeout=20_000)
    await expect(transport).to_have_attribute("data-transport", "sse")
    await ph.shot("waiting-live")

    # A reload finds the same place (the place belongs to the account, not to the page).
    await page.reload()
    await expect(room_el).to_have_attribute("data-state", "waiting")
    await expect(place).to_have_text("#4")
    await expect(transport).to_have_attribute("data-transport", "sse")
    await ph.shot("after-reload")

    # Cut the stream: new streams are refused and the network drops for a moment.
    polls: list[str] = []
    page.on(
        "request",
        lambda req: (
            polls.append(req.url)
            if req.method == "GET" and req.url.endswith(f"/events/{event_id}/queue")
            else None
        ),
    )

    async def refuse(route: Route) -> None:
        await route.abort()

    await page.route("**/queue/stream*", refuse)
    await ph.context.set_offline(True)
    await expect(page.locator("#net")).to_be_visible()
    await expect(transport).to_have_attribute(
        "data-transport", re.compile("offline|poll"), timeout=60_000
    )
    await ph.shot("offline")
    await ph.context.set_offline(False)
    await expect(transport).to_have_attribute("data-transport", "poll", timeout=30_000)
    await expect(page.locator("#net")).to_be_hidden()

    # While polling, the place still moves: the two shoppers leave, two slots open.
    for fan in others[:2]:
        await leave(stack, event_id, fan)
    await expect(place).to_have_text("#2", timeout=30_000)
    await expect(transport).to_have_attribute("data-transport", "poll")
    assert polls, "the page never polled GET …/queue"
    await ph.shot("polling")

    # The stream answers again: the page goes back to it by itself, and it carries updates.
    await page.unroute("**/queue/stream*")
    await expect(transport).to_have_attribute("data-transport", "sse", timeout=90_000)
    await leave(stack, event_id, others[2])
    await expect(place).to_have_text("#1", timeout=30_000)
    await ph.shot("recovered")

    # Paused by the organizer: the place is kept and the wait is honestly unknown.
    r = await stack.client.post(f"/api/v1/events/{event_id}/pause", headers=org.headers)
    assert r.status_code == 200, r.text
    await expect(room_el).to_have_attribute("data-state", "paused", timeout=30_000)
    await expect(page.locator("#eta")).to_have_text("not known yet")
    await ph.shot("paused")
    assert await ph.axe("paused") == []
    r = await stack.client.post(f"/api/v1/events/{event_id}/resume", headers=org.headers)
    assert r.status_code == 200, r.text
    await expect(room_el).not_to_have_attribute("data-state", "paused", timeout=30_000)
    assert ph.errors == []


async def test_not_yet_open_and_sold_out_are_drawn(stack: Stack, phone: Any) -> None:
    org = await stack.api.user("organizer")
    now = datetime.now(UTC)
    later = await stack.api.event(
        org,
        onsale_at=(now + timedelta(hours=2)).isoformat(),
        waiting_room=room(prequeue_opens_at=(now + timedelta(hours=1)).isoformat()),
    )
    gone = await stack.api.event(org, waiting_room=room())
    r = await stack.client.post(
        f"/api/v1/events/{gone['event_id']}/sections/FLOOR/capacity",
        json={"delta": -100},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    # A French fan: the profile's language is the one the app keeps after sign-in.
    user_id, email = await stack.api.register(
        "fan", f"camille-{uuid.uuid4().hex[:8]}@example.com", locale="fr"
    )
    me = User(user_id, email, PASSWORD, await stack.api.login(email, PASSWORD))
    ph: Phone = await phone("fr-FR", dark=True)  # and in the dark colour scheme
    page = ph.page

    await sign_in(page, stack.base, me, f"/events/{later['event_id']}/queue")
    room_el = page.locator("#room")
    await expect(room_el).to_have_attribute("data-state", "notyet")
    await expect(room_el.locator("h2")).to_have_text("La file n’est pas encore ouverte")
    await expect(room_el.locator(".countdown")).to_have_text(re.compile(r"^59:\d\d$"))
    await ph.shot("not-yet-open")

    await page.goto(f"{stack.base}/events/{gone['event_id']}/queue")
    await expect(room_el).to_have_attribute("data-state", "soldout")
    await expect(room_el.locator("h2")).to_have_text("Complet")
    await ph.shot("sold-out")
    assert await ph.axe("sold-out") == []

    # The page reads the event before the queue answers. When that read still shows seats
    # (sold in between, or a cached answer) the queue's "closed" is drawn from a fresh read.
    stale_reads: list[str] = []

    async def still_on_sale(route: Route) -> None:
        response = await route.fetch()
        body = await response.json()
        if not stale_reads:
            for section in body["sections"]:
                section["available"] = 5
        stale_reads.append(route.request.url)
        await route.fulfill(response=response, json=body)

    await page.route(f"**/api/v1/events/{gone['event_id']}", still_on_sale)
    await page.reload()
    await expect(room_el).to_have_attribute("data-state", "soldout")
    assert len(stale_reads) == 2
    assert ph.errors == []
    await page.unroute_all(behavior="ignoreErrors")
