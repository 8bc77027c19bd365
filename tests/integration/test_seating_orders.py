"""Seats through the whole sale (in-process app, real Redis, Postgres and localstripe): a
picked pair paid, its tickets and their signed codes name the seats, the seats are sold;
a transfer keeps the seat in the new code; a cancel puts the seats back on sale (resale of a
seat: test_seat_resale)."""

from __future__ import annotations

import pytest

from app.core import keys
from app.core.resources import Resources
from app.core.settings import Settings
from app.holds.lifecycle import write_ledger
from app.holds.reconcile import reconcile_event
from app.tickets import codes
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans
from tests.support.seat_orders import buy_seats, rebuilt_after_loss, seat_status, seated_event


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def test_paid_seats_are_on_the_tickets_and_in_their_codes(
    api: Api, settings: Settings, resources: Resources
) -> None:
    org, ev = await seated_event(api)
    fan, other = await bulk_fans(settings, 2)
    order = await buy_seats(api, resources, ev, fan, ["B-4", "B-5"])
    assert order["status"] == "confirmed"
    assert [t["seat"] for t in order["tickets"]] == [
        {"seat_id": "B-4", "row": "B", "number": "4"},
        {"seat_id": "B-5", "row": "B", "number": "5"},
    ]
    for ticket in order["tickets"]:
        claim = codes.parse(ticket["code"]).claim
        assert claim.seat == ticket["seat"]["seat_id"]
        assert claim.ticket_id == ticket["ticket_id"]
    status = await seat_status(api, ev)
    assert (status["B-4"], status["B-5"], status["B-6"]) == ("sold", "sold", "free")

    # A transfer keeps the seat: the receiver's new code carries it.
    ticket = order["tickets"][0]
    r = await api.client.post(
        f"/api/v1/tickets/{ticket['ticket_id']}/transfer",
        json={"email": other.email},
        headers=fan.headers,
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        f"/api/v1/transfers/{r.json()['transfer_id']}/accept", headers=other.headers
    )
    assert r.status_code == 200, r.text
    assert codes.parse(r.json()["code"]).claim.seat == "B-4"
    assert (await seat_status(api, ev))["B-4"] == "sold"

    # Cancelling an order puts its seats back on sale, and they can be picked again.
    (third,) = await bulk_fans(settings, 1)
    second = await buy_seats(api, resources, ev, third, ["C-1", "C-2"])
    assert (await seat_status(api, ev))["C-1"] == "sold"
    r = await api.client.post(f"/api/v1/orders/{second['order_id']}/cancel", headers=third.headers)
    assert r.status_code == 200, r.text
    status = await seat_status(api, ev)
    assert (status["C-1"], status["C-2"]) == ("free", "free")
    again = await buy_seats(api, resources, ev, third, ["C-1"])
    assert again["tickets"][0]["seat"]["seat_id"] == "C-1"
    stats = (await api.client.get(f"/api/v1/events/{ev}/stats", headers=org.headers)).json()
    floor = stats["sections"][0]
    assert (floor["sold"], floor["held"], floor["capacity"]) == (3, 0, 24)
    assert floor["available"] == 21


async def test_old_codes_without_a_seat_still_verify() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    old = codes.sign_code(key, codes.TicketClaim("k1", "t1", "e1", "FLOOR", 1))
    seated = codes.sign_code(key, codes.TicketClaim("k1", "t2", "e1", "FLOOR", 2, "B-4"))
    public = {"k1": key.public_key()}
    assert codes.verify(old, public).claim.seat == ""
    assert codes.verify(seated, public).claim.seat == "B-4"
    # The seatless payload is the five-member array codes always had.
    assert b'"FLOOR",1]' in codes._b64url_decode(old.split(".")[1])


async def test_reconcile_rebuilds_and_repairs_seats(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, ev = await seated_event(api)
    fan, other = await bulk_fans(settings, 2)
    await buy_seats(api, resources, ev, fan, ["B-4", "B-5"])
    token = await h.admit(api.client, ev, other)
    r = await api.client.post(
        f"/api/v1/events/{ev}/holds",
        json={"section": "FLOOR", "seats": ["C-1", "C-2"]},
        headers={**other.headers, "X-Admission-Token": token or ""},
    )
    assert r.status_code == 201, r.text
    hold_id = r.json()["hold_id"]
    await write_ledger(resources.redis, resources.pool, ev)
    before = await seat_status(api, ev)

    report = await rebuilt_after_loss(resources, ev)
    assert report.restored
    assert await seat_status(api, ev) == before
    assert (before["B-4"], before["C-1"], before["A-1"]) == ("sold", "held", "free")
    got = await api.client.get(f"/api/v1/holds/{hold_id}", headers=other.headers)
    assert [s["seat_id"] for s in got.json()["seats"]] == ["C-1", "C-2"]
    floor = report.sections[0]
    assert (floor.drift, floor.seat_drift) == (0, 0)

    # A sold seat's state lost in Redis: the drift rule puts it back from the record.
    await resources.redis.hdel(keys.seat_states(ev), "FLOOR/B-4")
    report = await reconcile_event(
        resources.pool, resources.redis, resources.scripts, resources.settings, ev
    )
    assert report.sections[0].seat_drift == 1
    assert report.sections[0].repaired
    assert (await seat_status(api, ev))["B-4"] == "sold"
    # Released in Redis, the seats come back; the held hold's seats return on release.
    r = await api.client.delete(f"/api/v1/holds/{hold_id}", headers=other.headers)
    assert r.status_code == 204
    assert (await seat_status(api, ev))["C-1"] == "free"
