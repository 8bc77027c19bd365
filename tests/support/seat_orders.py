"""A seated event through the API (a CSV map on FLOOR, every move allowed), seats bought
end to end, and the per-seat invariants read from Redis and Postgres together.

Shared by the seat order tests and the seated resale tests.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from app.core import keys
from app.core.resources import Resources
from app.holds.reconcile import Report, reconcile_event
from app.orders import finalize
from app.seating.scripts import seat_scripts
from tests.support import checkout as h
from tests.support.api import Api, User
from tests.support.moves import ALL_ON


def csv_map(rows: int, per_row: int, section: str = "FLOOR") -> str:
    """A CSV seat map: rows A.. of seats 1.. ('<row>-<n>'), one category."""
    lines = ["section,row,seat,category,x,y,accessible"]
    for r in range(rows):
        for n in range(1, per_row + 1):
            lines.append(f"{section},{chr(65 + r)},{n},main,{n * 20},{(r + 1) * 20},false")
    return "\n".join(lines) + "\n"


async def seated_event(
    api: Api, rows: int = 3, per_row: int = 8, rules: dict[str, Any] | None = None
) -> tuple[User, str]:
    """An organizer and its published event whose FLOOR is seated (rows A.., seats 1..)."""
    org = await api.user("organizer")
    event = await api.event(org, publish=False)
    ev: str = event["event_id"]
    r = await api.client.put(
        f"/api/v1/events/{ev}/sections/FLOOR/seatmap",
        content=csv_map(rows, per_row),
        headers={**org.headers, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    r = await api.client.put(
        f"/api/v1/events/{ev}/move-rules", json={**ALL_ON, **(rules or {})}, headers=org.headers
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(f"/api/v1/events/{ev}/publish", headers=org.headers)
    assert r.status_code == 200, r.text
    return org, ev


async def seat_status(api: Api, ev: str) -> dict[str, str]:
    r = await api.client.get(f"/api/v1/events/{ev}/sections/FLOOR/seats")
    assert r.status_code == 200, r.text
    return {s["seat_id"]: s["status"] for s in r.json()["seats"]}


async def hold_seats(api: Api, ev: str, fan: User, seats: list[str]) -> Any:
    """The fan's hold on these seats (the response: 201 or a refusal)."""
    token = await h.admit(api.client, ev, fan)
    return await api.client.post(
        f"/api/v1/events/{ev}/holds",
        json={"section": "FLOOR", "seats": seats},
        headers={
            **fan.headers,
            "X-Admission-Token": token or "",
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )


async def pay_hold(api: Api, resources: Resources, fan: User, hold_id: str) -> dict[str, Any]:
    """The hold paid and finalized: the fan's confirmed order."""
    checkout = await h.checkout(api.client, fan, hold_id)
    assert checkout.status_code == 201, checkout.text
    assert await finalize.finalize_payment(resources, checkout.json()["payment_intent_id"]) == (
        "confirmed"
    )
    order = await api.client.get(
        f"/api/v1/orders/{checkout.json()['order_id']}", headers=fan.headers
    )
    assert order.status_code == 200, order.text
    body: dict[str, Any] = order.json()
    return body


async def buy_seats(
    api: Api, resources: Resources, ev: str, fan: User, seats: list[str]
) -> dict[str, Any]:
    r = await hold_seats(api, ev, fan, seats)
    assert r.status_code == 201, r.text
    return await pay_hold(api, resources, fan, r.json()["hold_id"])


async def check_seat_invariants(resources: Resources, ev: str) -> dict[str, str]:
    """Per seat and per section, Redis and Postgres together: every seat is one of
    free/held/sold/blocked and the counters are those seats (available + held + sold =
    capacity); the sold seats are the record's live tickets but those listed for resale,
    each sold seat by the hold of its ticket's order; Postgres sold = Redis sold; no seat has
    two live tickets. Returns seat -> state."""
    _, _, states = await seat_scripts(resources.scripts).read(ev, "FLOOR")
    by_seat = {s.seat_id: s.state for s in states}
    inv = await resources.redis.hgetall(keys.inventory(ev))  # type: ignore[misc]
    capacity, available, held, sold = (
        int(inv[f"FLOOR:{f}"]) for f in ("capacity", "available", "held", "sold")
    )
    count = {k: sum(1 for v in by_seat.values() if v[:1] == k) for k in ("", "h", "s", "b")}
    assert (available, held, sold) == (count[""], count["h"], count["s"]), (inv, count)
    assert available + held + sold == capacity == len(by_seat) - count["b"], inv
    conn = await asyncpg.connect(resources.settings.database_url)
    try:
        eid = uuid.UUID(ev)
        pg_sold = await conn.fetchval("SELECT sold FROM sections WHERE event_id = $1", eid)
        live = await conn.fetch(
            "SELECT t.seat_id, o.hold_id, EXISTS (SELECT 1 FROM resale_listings l"
            "  WHERE l.ticket_id = t.ticket_id AND l.state = 'listed') AS listed"
            " FROM tickets t JOIN orders o USING (order_id)"
            " WHERE t.event_id = $1 AND t.voided_at IS NULL AND o.status = 'confirmed'",
            eid,
        )
    finally:
        await conn.close()
    seats = [r["seat_id"] for r in live]
    assert len(seats) == len(set(seats)), f"a seat with two live tickets: {sorted(seats)}"
    expected = {r["seat_id"]: f"s:{r['hold_id']}" for r in live if not r["listed"]}
    assert {k: v for k, v in by_seat.items() if v.startswith("s:")} == expected
    for r in live:
        if r["listed"]:
            assert not by_seat[r["seat_id"]].startswith("s:"), (r["seat_id"], by_seat)
    assert pg_sold == sold, (pg_sold, sold)
    return by_seat


async def rebuilt_after_loss(resources: Resources, ev: str) -> Report:
    """Redis loses the event (every key of its hash tag); reconcile rebuilds it from the
    record. The reconcile report."""
    lost = [k async for k in resources.redis.scan_iter(match=keys.tag(ev) + "*")]
    await resources.redis.delete(*lost)
    return await reconcile_event(
        resources.pool, resources.redis, resources.scripts, resources.settings, ev
    )
