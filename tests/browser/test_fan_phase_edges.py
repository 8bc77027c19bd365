"""A sale phase's edges in the fan app at 360×740, in four languages, against real API and
worker processes: a fan who joins while a presale sells, for the general sale that opens
later, sees that phase's pre-queue with its opening time (in the event's time zone, named)
and a countdown, not "waiting"; a fan left in line when its phase closes is told the phase
ended and joins the next one from there. axe-core clean on each screen."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Phone, Stack, fan_sign_in
from tests.support.api import PASSWORD, User
from tests.support.phases import codes, join, move_phases, phase, window

pytestmark = pytest.mark.timeout(300)

ROOM = {
    "enabled": True,
    "admit_batch_size": 1,
    "admit_interval_s": 1,
    "max_active_shoppers": 5,
    "session_ttl_s": 600,
    "mode": "fifo",
}
TEXT = {
    "en-US": ("You are in the pre-queue", "This sale phase has ended", "Join the next phase"),
    "de-DE": (
        "Du bist in der Vor-Warteschlange",
        "Diese Verkaufsphase ist vorbei",
        "Der nächsten Phase beitreten",
    ),
    "es-ES": (
        "Estás en la precola",
        "Esta fase de venta ha terminado",
        "Unirse a la siguiente fase",
    ),
    "fr-FR": (
        "Vous êtes dans la pré-file",
        "Cette phase de vente est terminée",
        "Rejoindre la phase suivante",
    ),
}
# The zone named after the time: a short name (CET, MEZ, …) or, where the language has none,
# the offset followed by the zone's city.
ZONE = re.compile(r"(CET|MEZ|CEST|MESZ|GMT\+1 \(Berlin\)|UTC\+1 \(Berlin\)|GMT\+01:00)")
BACK = (
    "UPDATE event_phases SET opens_at = opens_at - interval '40 minutes',"
    " closes_at = closes_at - interval '40 minutes' WHERE event_id = $1::uuid"
)


async def _fan(stack: Stack, locale: str) -> User:
    user_id, email = await stack.api.register(
        "fan", f"edge-{uuid.uuid4().hex[:8]}@example.com", locale=locale[:2]
    )
    return User(user_id, email, PASSWORD, await stack.api.login(email, PASSWORD))


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "es-ES", "fr-FR"])
async def test_a_later_phases_pre_queue_and_a_phase_that_ended(
    stack: Stack, phone: Any, locale: str
) -> None:
    prequeue_title, ended_title, join_next = TEXT[locale]
    org = await stack.api.user("organizer")
    event = await stack.api.event(org, name="Phase Night", waiting_room=ROOM)
    eid = event["event_id"]
    presale = await phase(stack.api, org, eid, name="Presale", audience="code", **window(-5, 30))
    prequeue_opens = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    general = await phase(
        stack.api,
        org,
        eid,
        name="General sale",
        audience="everyone",
        room={"prequeue_opens_at": prequeue_opens},
        **window(30, 600),
    )
    ph: Phone = await phone(locale)
    page = ph.page
    room = page.locator("#room")

    # No code: the general sale's pre-queue, with its own opening time and a countdown.
    fan = await _fan(stack, locale)
    await fan_sign_in(page, stack.base, fan.email, f"/events/{eid}/queue")
    await expect(room).to_have_attribute("data-state", "prequeue")
    await expect(room.locator("h2")).to_have_text(prequeue_title)
    await expect(room.locator(".countdown")).to_have_text(re.compile(r"^(0:)?(29|30):\d\d$"))
    opening = room.locator("time")
    stamp = await opening.get_attribute("datetime")
    assert stamp is not None
    assert abs(datetime.fromisoformat(stamp) - datetime.fromisoformat(general["opens_at"])) < (
        timedelta(seconds=1)
    )
    await expect(opening).to_have_text(ZONE)
    await ph.shot("later-phase-prequeue")
    assert await ph.axe("later-phase-prequeue") == []

    # A presale fan who stays in line (the sale paused, nobody admitted) when the presale
    # closes: told so, and joins the general sale from there.
    r = await stack.client.post(f"/api/v1/events/{eid}/pause", headers=org.headers)
    assert r.status_code == 200, r.text
    late = await _fan(stack, locale)
    [code] = await codes(stack.api, org, eid, presale["phase_id"], 1)
    r = await join(stack.api, eid, late, code)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "waiting"
    await page.context.clear_cookies()
    await fan_sign_in(page, stack.base, late.email, f"/events/{eid}/queue")
    await expect(room).to_have_attribute("data-state", re.compile("^(waiting|paused)$"))
    # The presale closes while the page is open: the next status says so. (A fan who opens
    # the page only now is joined to the phase open now at once.)
    await move_phases(stack.settings.database_url, stack.settings.redis_url, eid, BACK, eid)
    await asyncio.sleep(2.5)  # the API process's phase cache lives 2 s
    await expect(room).to_have_attribute("data-state", "phase_ended", timeout=30_000)
    await expect(room.locator("h2")).to_have_text(ended_title)
    await ph.shot("phase-ended")
    assert await ph.axe("phase-ended") == []
    await room.get_by_role("button", name=join_next).click()
    await expect(room).to_have_attribute("data-state", re.compile("^(waiting|paused)$"))
    await ph.shot("joined-next-phase")
    assert ph.errors == []
