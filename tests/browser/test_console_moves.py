"""The organizer sets an event's ticket-move rules in the console and sees fans' moves there
(a transfer, a resale listing, a cancellation), against real API and worker processes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Screen, Stack
from tests.support.api import PASSWORD, User

pytestmark = pytest.mark.timeout(300)

DESKTOP = {"width": 1280, "height": 900}


async def test_organizer_sets_move_rules_and_sees_the_moves(
    stack: Stack, screens: Callable[..., Awaitable[Screen]]
) -> None:
    from tests.browser.test_fan_moves import paid_order

    user_id, email = await stack.api.register("organizer")
    org = User(user_id, email, PASSWORD, await stack.api.login(email, PASSWORD))
    event = await stack.api.event(
        org,
        name="Harbour Lights",
        sections=[{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 10}],
    )
    event_id = event["event_id"]
    s = await screens(viewport=DESKTOP, locale="en-GB", timezone_id="Europe/Berlin")
    page = s.page
    await page.goto(f"{stack.base}/console/events/{event_id}")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Continue").click()
    form = page.locator("#move-rules")
    await expect(form).to_be_visible()
    await expect(page.get_by_text("No ticket has moved yet.")).to_be_visible()
    await form.get_by_label("Holders may give a ticket to another account").check()
    await form.get_by_label("Buyers may resell tickets at face value (waiting list first)").check()
    await form.get_by_label("Fee kept per resold ticket (EUR)").fill("2.50")
    await form.get_by_label("No transfer within this many hours of the start").fill("2")
    await form.get_by_role("button", name="Save the rules").click()
    await expect(form.get_by_role("status")).to_have_text("Rules saved.")
    rules = (
        await stack.client.get(f"/api/v1/events/{event_id}/move-rules", headers=org.headers)
    ).json()
    assert rules == {
        "cancel_enabled": False,
        "cancel_until_s": 86400,
        "transfer_enabled": True,
        "transfer_max_per_ticket": 1,
        "transfer_cutoff_s": 7200,
        "resale_enabled": True,
        "resale_fee_cents": 250,
    }

    # Fans move tickets through the API; the console lists the moves.
    fan_id, fan_email = await stack.api.register("fan")
    fan = User(fan_id, fan_email, PASSWORD, await stack.api.login(fan_email, PASSWORD))
    _, friend_email = await stack.api.register("fan")
    order = await paid_order(stack, event_id, fan, 2)
    t1, t2 = order["tickets"]
    r = await stack.client.post(
        f"/api/v1/tickets/{t1['ticket_id']}/transfer",
        json={"email": friend_email},
        headers=fan.headers,
    )
    assert r.status_code == 201, r.text
    r = await stack.client.post(f"/api/v1/tickets/{t2['ticket_id']}/resale", headers=fan.headers)
    assert r.status_code == 201, r.text
    await page.reload()
    table = page.locator("#moves-table")
    await expect(table.locator("tbody tr")).to_have_count(2)
    await expect(table.locator("tr[data-kind=transfer]")).to_contain_text("Pending")
    await expect(table.locator("tr[data-kind=transfer]")).to_contain_text(friend_email)
    await expect(table.locator("tr[data-kind=resale]")).to_contain_text("Listed")
    await expect(table.locator("tr[data-kind=resale]")).to_contain_text("€47.50")
    await page.locator("#moves").scroll_into_view_if_needed()
    await s.shot("console-moves")
    assert await s.axe("console-moves") == []
    assert s.errors == []
