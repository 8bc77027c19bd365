"""Helpers of the ticket-move tests: an event with move rules, a paid order, the invariants."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from app.core import keys
from app.core.resources import Resources
from app.orders import finalize
from tests.support import checkout as h
from tests.support.api import Api, User

ALL_ON = {
    "cancel_enabled": True,
    "cancel_until_s": 3600,
    "transfer_enabled": True,
    "transfer_max_per_ticket": 1,
    "transfer_cutoff_s": 3600,
    "resale_enabled": True,
    "resale_fee_cents": 0,
}


async def event_with_rules(
    api: Api, capacity: int = 10, rules: dict[str, Any] | None = None, **overrides: Any
) -> tuple[User, str]:
    """An organizer and its event on sale now (FLOOR at 50.00), with these move rules."""
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": capacity}]
    event = await api.event(org, sections=sections, **overrides)
    event_id: str = event["event_id"]
    r = await api.client.put(
        f"/api/v1/events/{event_id}/move-rules",
        json={**ALL_ON, **(rules or {})},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    return org, event_id


async def buy(
    api: Api, resources: Resources, event_id: str, fan: User, quantity: int
) -> dict[str, Any]:
    """A confirmed, captured order of `quantity` FLOOR seats (the fan's view of it)."""
    r = await h.hold(api.client, event_id, fan, quantity)
    assert r.status_code == 201, r.text
    checkout = await h.checkout(api.client, fan, r.json()["hold_id"])
    assert checkout.status_code == 201, checkout.text
    pi = checkout.json()["payment_intent_id"]
    assert await finalize.finalize_payment(resources, pi) == "confirmed"
    order = await api.client.get(
        f"/api/v1/orders/{checkout.json()['order_id']}", headers=fan.headers
    )
    assert order.status_code == 200, order.text
    body: dict[str, Any] = order.json()
    assert body["status"] == "confirmed"
    return body


async def my_tickets(api: Api, fan: User) -> dict[str, Any]:
    r = await api.client.get("/api/v1/me/tickets", headers=fan.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def user_seats(resources: Resources, event_id: str) -> dict[str, int]:
    raw: dict[str, str] = await resources.redis.hgetall(keys.user_seats(event_id))  # type: ignore[misc]
    return {k: int(v) for k, v in raw.items()}


async def check_invariants(resources: Resources, event_id: str, capacity: int) -> dict[str, int]:
    """Conservation in Redis; Redis sold = Postgres sold; valid tickets = sold + open listings
    <= capacity; each account's live tickets = its Redis count (nothing held in between)."""
    inv = await resources.redis.hgetall(keys.inventory(event_id))  # type: ignore[misc]
    available, held, sold = (int(inv[f"FLOOR:{f}"]) for f in ("available", "held", "sold"))
    assert available + held + sold == capacity, inv
    conn = await asyncpg.connect(resources.settings.database_url)
    try:
        ev = uuid.UUID(event_id)
        pg_sold = await conn.fetchval("SELECT sold FROM sections WHERE event_id = $1", ev)
        valid = await conn.fetchval(
            "SELECT count(*) FROM tickets t JOIN orders o USING (order_id)"
            " WHERE t.event_id = $1 AND t.voided_at IS NULL AND o.status = 'confirmed'",
            ev,
        )
        listed = await conn.fetchval(
            "SELECT count(*) FROM resale_listings WHERE event_id = $1 AND state = 'listed'", ev
        )
        per_holder = {
            str(r["holder"]): int(r["n"])
            for r in await conn.fetch(
                "SELECT coalesce(t.holder_id, o.user_id) AS holder, count(*) AS n"
                " FROM tickets t JOIN orders o USING (order_id)"
                " WHERE t.event_id = $1 AND t.voided_at IS NULL AND o.status = 'confirmed'"
                " GROUP BY 1",
                ev,
            )
        }
    finally:
        await conn.close()
    assert pg_sold == sold, (pg_sold, sold)
    assert valid == sold + listed, (valid, sold, listed)
    assert valid <= capacity
    if held == 0:
        assert per_holder == await user_seats(resources, event_id)
    return {"available": available, "held": held, "sold": sold, "valid": valid, "listed": listed}
