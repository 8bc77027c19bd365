"""Helpers of the ticket and check-in tests: tickets bought through the real API and
finalize path, scanner grants, live (rotating) codes as the fan app shows them."""

from __future__ import annotations

import time
from typing import Any

from app.core.resources import Resources
from app.core.settings import Settings
from app.orders import finalize
from app.tickets import codes
from tests.support import checkout as h
from tests.support.api import Api, User, bulk_fans


async def buy(
    api: Api, settings: Settings, resources: Resources, event_id: str, quantity: int = 2
) -> tuple[User, dict[str, Any]]:
    """A fan with a confirmed order of `quantity` tickets (hold, card checkout, finalize)."""
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, event_id, fan, quantity)
    assert r.status_code == 201, r.text
    r = await h.checkout(api.client, fan, r.json()["hold_id"])
    assert r.status_code == 201, r.text
    checkout = r.json()
    assert await finalize.finalize_payment(resources, checkout["payment_intent_id"]) == "confirmed"
    r = await api.client.get(f"/api/v1/orders/{checkout['order_id']}", headers=fan.headers)
    assert r.status_code == 200, r.text
    order: dict[str, Any] = r.json()
    assert order["status"] == "confirmed"
    return fan, order


def live_code(ticket: dict[str, Any], at: float | None = None) -> str:
    """The rotating code the fan app shows at `at` (now by default)."""
    rotation = ticket["rotation"]
    assert rotation["step_s"] == 15
    assert rotation["digits"] == 6
    secret = codes.secret_from_b32(rotation["secret"])
    return codes.rotating_code(ticket["code"], secret, time.time() if at is None else at)


async def scanner_of(api: Api, organizer: User, event_id: str) -> User:
    """A new account granted the scanner role on the event by its organizer."""
    scanner = await api.user("fan")
    r = await api.client.put(
        f"/api/v1/events/{event_id}/scanners/{scanner.email}", headers=organizer.headers
    )
    assert r.status_code == 204, r.text
    return scanner


async def scan(api: Api, who: User, code: str, **body: Any) -> dict[str, Any]:
    r = await api.client.post("/api/v1/checkins", json={"code": code, **body}, headers=who.headers)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out
