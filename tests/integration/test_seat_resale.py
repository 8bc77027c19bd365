"""Resale of reserved seats on real servers (in-process app, Redis, Postgres, localstripe):
a listing names its seat and frees that seat on the map; the fan who picks it buys exactly
that seat (their signed code carries it) and the seller's ticket dies in the same
transaction; a buyer's hold that expires gives the seat back to the listing; a withdrawal
sells the seat to the seller again unless someone holds it; a refund of the seller's order
leaves a listed seat with whoever holds it. After every step the per-seat invariants hold
(tests.support.seat_orders.check_seat_invariants) and reconcile finds no drift."""

from __future__ import annotations

import msgspec
import pytest

from app.core.clock import now_ms
from app.core.resources import Resources
from app.core.settings import Settings
from app.holds.lifecycle import write_ledger
from app.holds.reconcile import reconcile_event
from app.holds.scripts import Convert, hold_scripts
from app.moves import resale
from app.orders import finalize, refunds
from app.seating.scripts import seat_scripts
from app.tickets import codes
from tests.support import checkout as h
from tests.support.api import Api, assert_problem, bulk_fans
from tests.support.moves import my_tickets, user_seats
from tests.support.seat_orders import (
    buy_seats,
    check_seat_invariants,
    hold_seats,
    pay_hold,
    rebuilt_after_loss,
    seat_status,
    seated_event,
)

DAY_MS = 24 * 3600 * 1000


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def no_drift(resources: Resources, ev: str) -> None:
    """Reconcile agrees with Redis, per section and per seat."""
    await write_ledger(resources.redis, resources.pool, ev)
    report = await reconcile_event(
        resources.pool, resources.redis, resources.scripts, resources.settings, ev
    )
    floor = report.sections[0]
    assert (floor.drift, floor.seat_drift, floor.repaired) == (0, 0, False), floor


async def test_a_listed_seat_is_bought_as_that_seat_by_the_fan_who_picks_it(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    _, ev = await seated_event(api, rules={"resale_fee_cents": 200})
    seller, buyer, late = await bulk_fans(settings, 3)
    order = await buy_seats(api, resources, ev, seller, ["B-4", "B-5"])
    ticket = order["tickets"][1]
    assert ticket["seat"]["seat_id"] == "B-5"

    r = await api.client.post(
        f"/api/v1/tickets/{ticket['ticket_id']}/resale", headers=seller.headers
    )
    assert r.status_code == 201, r.text
    listing = r.json()
    assert listing["seat"] == {"seat_id": "B-5", "row": "B", "number": "5"}
    assert (listing["state"], listing["payout_cents"]) == ("listed", listing["price_cents"] - 200)
    got = await api.client.get(f"/api/v1/resale/{listing['listing_id']}", headers=seller.headers)
    assert got.json()["seat"] == listing["seat"]
    # The seat is free on the map; its neighbour stays sold; the seller keeps their count.
    states = await check_seat_invariants(resources, ev)
    assert (states["B-4"][:2], states["B-5"]) == ("s:", "")
    assert (await seat_status(api, ev))["B-5"] == "free"
    assert (await user_seats(resources, ev))[seller.user_id] == 2
    mine = {t["ticket_id"]: t for t in (await my_tickets(api, seller))["tickets"]}
    assert mine[ticket["ticket_id"]]["status"] == "listed"
    await no_drift(resources, ev)

    # A fan holds the seat and lets the hold expire: the seat is back on the map, still listed.
    first = await hold_seats(api, ev, buyer, ["B-5"])
    assert first.status_code == 201, first.text
    r = await api.client.delete(f"/api/v1/resale/{listing['listing_id']}", headers=seller.headers)
    assert_problem(r, 409, "listing_in_checkout")
    taken = await hold_seats(api, ev, late, ["B-5", "B-6"])
    assert_problem(taken, 409, "seats_taken")
    assert taken.json()["seats"] == ["B-5"]
    assert (await check_seat_invariants(resources, ev))["B-5"] == f"h:{first.json()['hold_id']}"
    expired, returned = await hold_scripts(resources.scripts).expire(
        ev, [first.json()["hold_id"]], now_ms() + 10 * DAY_MS
    )
    assert (expired, returned) == (1, 1)
    assert (await check_seat_invariants(resources, ev))["B-5"] == ""
    await no_drift(resources, ev)

    # Another fan picks it with the seat beside it and pays: they get that seat.
    hold = await hold_seats(api, ev, buyer, ["B-5", "B-6"])
    assert hold.status_code == 201, hold.text
    bought = await pay_hold(api, resources, buyer, hold.json()["hold_id"])
    assert bought["status"] == "confirmed"
    assert [t["seat"]["seat_id"] for t in bought["tickets"]] == ["B-5", "B-6"]
    claim = codes.parse(bought["tickets"][0]["code"]).claim
    assert (claim.seat, claim.ticket_id) == ("B-5", bought["tickets"][0]["ticket_id"])
    # The seller's ticket for the seat is void (resold), their other seat untouched.
    mine = {t["ticket_id"]: t for t in (await my_tickets(api, seller))["tickets"]}
    assert mine[ticket["ticket_id"]]["status"] == "void"
    assert mine[ticket["ticket_id"]]["listing"]["state"] == "sold"
    assert mine[order["tickets"][0]["ticket_id"]]["status"] == "valid"
    states = await check_seat_invariants(resources, ev)
    assert states["B-5"] == states["B-6"] == f"s:{hold.json()['hold_id']}"
    late_withdraw = await api.client.delete(
        f"/api/v1/resale/{listing['listing_id']}", headers=seller.headers
    )
    assert_problem(late_withdraw, 409, "listing_sold")
    # The seller is paid face value minus the fee, once; counts follow the tickets.
    assert await resale.pay_sellers(resources) == {"paid": 1, "failed": 0}
    assert await resale.pay_sellers(resources) == {"paid": 0, "failed": 0}
    paid = h.stripe_get(stripe_base, "/v1/refunds", payment_intent=order["payment_intent_id"])
    assert [x["amount"] for x in paid["data"]] == [listing["payout_cents"]]
    assert await user_seats(resources, ev) == {seller.user_id: 1, buyer.user_id: 2}
    await no_drift(resources, ev)


async def test_a_withdrawn_seat_is_the_sellers_again_unless_someone_holds_it(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, ev = await seated_event(api)
    seller, buyer = await bulk_fans(settings, 2)
    order = await buy_seats(api, resources, ev, seller, ["A-1", "A-2"])
    t1 = order["tickets"][0]
    listing = (
        await api.client.post(f"/api/v1/tickets/{t1['ticket_id']}/resale", headers=seller.headers)
    ).json()
    assert listing["seat"]["seat_id"] == "A-1"
    # A fan holding another seat does not stop the withdrawal: only a hold on this seat does.
    other = await hold_seats(api, ev, buyer, ["C-1"])
    assert other.status_code == 201, other.text
    r = await api.client.delete(f"/api/v1/resale/{listing['listing_id']}", headers=seller.headers)
    assert r.status_code == 204, r.text
    states = await check_seat_invariants(resources, ev)
    assert states["A-1"] == states["A-2"]  # sold by the seller's own hold again
    assert (await seat_status(api, ev))["A-1"] == "sold"
    again = await api.client.delete(
        f"/api/v1/resale/{listing['listing_id']}", headers=seller.headers
    )
    assert again.status_code == 204
    assert (await check_seat_invariants(resources, ev))["A-1"] == states["A-1"]
    mine = {t["ticket_id"]: t for t in (await my_tickets(api, seller))["tickets"]}
    assert mine[t1["ticket_id"]]["status"] == "valid"
    r = await api.client.delete(f"/api/v1/holds/{other.json()['hold_id']}", headers=buyer.headers)
    assert r.status_code == 204, r.text
    await no_drift(resources, ev)


async def test_a_refund_of_the_sellers_order_leaves_a_listed_seat_to_whoever_holds_it(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """The seller's order is refunded while a fan's payment for the listed seat is between
    Redis and Postgres (the hold converted, the order not yet committed): the seat stays
    that fan's, and the fan's order then confirms with it."""
    org, ev = await seated_event(api)
    seller, buyer = await bulk_fans(settings, 2)
    order = await buy_seats(api, resources, ev, seller, ["B-1", "B-2"])
    listed = order["tickets"][0]
    r = await api.client.post(
        f"/api/v1/tickets/{listed['ticket_id']}/resale", headers=seller.headers
    )
    assert r.status_code == 201, r.text
    hold = await hold_seats(api, ev, buyer, ["B-1"])
    assert hold.status_code == 201, hold.text
    hold_id = hold.json()["hold_id"]
    checkout = await h.checkout(api.client, buyer, hold_id)
    assert checkout.status_code == 201, checkout.text
    pi, buyer_order = checkout.json()["payment_intent_id"], checkout.json()["order_id"]
    # Finalize's first step (the hold converted in Redis), its transaction not yet run.
    converted = await hold_scripts(resources.scripts).convert(
        ev,
        hold_id,
        payment_intent_id=pi,
        order_id=buyer_order,
        user_id=buyer.user_id,
        section="FLOOR",
        quantity=1,
        now=now_ms(),
        seats=["B-1"],
    )
    assert converted is Convert.CONVERTED
    # The organizer refunds the seller's whole order now.
    r = await api.client.post(
        f"/api/v1/orders/{order['order_id']}/refund", json={}, headers=org.headers
    )
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, order["order_id"]) == "refunded"
    assert await refunds.refund_order(resources, order["order_id"]) == "refunded"
    _, _, seats = await seat_scripts(resources.scripts).read(ev, "FLOOR")
    states = {s.seat_id: s.state for s in seats}
    assert (states["B-1"], states["B-2"]) == (f"s:{hold_id}", "")
    assert seller.user_id not in await user_seats(resources, ev)
    # The fan's payment commits: a plain sale of that seat (the listing ended with the refund).
    assert await finalize.finalize_payment(resources, pi) == "confirmed"
    bought = await api.client.get(f"/api/v1/orders/{buyer_order}", headers=buyer.headers)
    assert [t["seat"]["seat_id"] for t in bought.json()["tickets"]] == ["B-1"]
    states = await check_seat_invariants(resources, ev)
    assert (states["B-1"], states["B-2"]) == (f"s:{hold_id}", "")
    assert await resale.pay_sellers(resources) == {"paid": 0, "failed": 0}
    await no_drift(resources, ev)


async def test_reconcile_rebuilds_a_listed_seat_as_free(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, ev = await seated_event(api)
    (seller,) = await bulk_fans(settings, 1)
    order = await buy_seats(api, resources, ev, seller, ["C-3", "C-4"])
    r = await api.client.post(
        f"/api/v1/tickets/{order['tickets'][1]['ticket_id']}/resale", headers=seller.headers
    )
    assert r.status_code == 201, r.text
    before = await check_seat_invariants(resources, ev)
    report = await rebuilt_after_loss(resources, ev)
    assert report.restored
    after = await check_seat_invariants(resources, ev)
    assert after == before
    assert (after["C-3"][:2], after["C-4"]) == ("s:", "")
    await no_drift(resources, ev)


async def test_open_listings_outlive_a_redis_loss_and_are_bought_or_withdrawn(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """Redis loses the event with two seats listed; after the rebuild one listing is bought
    (the buyer gets that seat, the seller's ticket dies) and the other is withdrawn (the seat
    is its seller's again, sold on the map, not left on sale to be sold twice)."""
    _, ev = await seated_event(api)
    seller, buyer, late = await bulk_fans(settings, 3)
    order = await buy_seats(api, resources, ev, seller, ["C-3", "C-4"])
    listings = []
    for ticket in order["tickets"]:
        r = await api.client.post(
            f"/api/v1/tickets/{ticket['ticket_id']}/resale", headers=seller.headers
        )
        assert r.status_code == 201, r.text
        listings.append(r.json()["listing_id"])
    report = await rebuilt_after_loss(resources, ev)
    assert report.restored
    assert (await check_seat_invariants(resources, ev))["C-4"] == ""

    bought = await buy_seats(api, resources, ev, buyer, ["C-4"])
    assert [t["seat"]["seat_id"] for t in bought["tickets"]] == ["C-4"]
    r = await api.client.delete(f"/api/v1/resale/{listings[0]}", headers=seller.headers)
    assert r.status_code == 204, r.text
    states = await check_seat_invariants(resources, ev)
    assert (states["C-3"][:2], states["C-4"][:2]) == ("s:", "s:")
    refused = await hold_seats(api, ev, late, ["C-3"])
    assert refused.status_code == 409, refused.text
    mine = {t["seat"]["seat_id"]: t for t in (await my_tickets(api, seller))["tickets"]}
    assert (mine["C-3"]["status"], mine["C-4"]["status"]) == ("valid", "void")
    await no_drift(resources, ev)


async def test_a_sale_takes_the_listing_of_its_own_seat_not_the_oldest(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, ev = await seated_event(api)
    seller, buyer = await bulk_fans(settings, 2)
    order = await buy_seats(api, resources, ev, seller, ["A-1", "A-2"])
    first, second = order["tickets"]
    for ticket in (first, second):
        r = await api.client.post(
            f"/api/v1/tickets/{ticket['ticket_id']}/resale", headers=seller.headers
        )
        assert r.status_code == 201, r.text
    # The buyer picks the seat listed second: its listing is sold, the older one stays.
    await buy_seats(api, resources, ev, buyer, ["A-2"])
    mine = {t["seat"]["seat_id"]: t for t in (await my_tickets(api, seller))["tickets"]}
    assert (mine["A-1"]["status"], mine["A-1"]["listing"]["state"]) == ("listed", "listed")
    assert (mine["A-2"]["status"], mine["A-2"]["listing"]["state"]) == ("void", "sold")
    states = await check_seat_invariants(resources, ev)
    assert states["A-1"] == ""
    await no_drift(resources, ev)


async def test_the_waiting_list_is_offered_the_listed_seat_by_name_and_buys_it(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """A waiting-list offer on a seated section names its seats: the listed seat is held for
    the waiting fan, shown in their offer, and paying for it sells exactly that seat (the
    seller's ticket dies, the listing is sold); every seat stays in one state."""
    from workers.waitlist import waitlist_tick

    _, ev = await seated_event(api, rows=1, per_row=2)
    seller, waiting = await bulk_fans(settings, 2)
    order = await buy_seats(api, resources, ev, seller, ["A-1", "A-2"])
    r = await api.client.post(
        f"/api/v1/events/{ev}/waitlist",
        json={"section": "FLOOR", "quantity": 1},
        headers=waiting.headers,
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        f"/api/v1/tickets/{order['tickets'][0]['ticket_id']}/resale", headers=seller.headers
    )
    assert r.status_code == 201, r.text
    assert await waitlist_tick({"resources": resources}) == 1
    status = await api.client.get(f"/api/v1/events/{ev}/waitlist", headers=waiting.headers)
    body = status.json()
    assert body["state"] == "offered", status.text
    assert body["offer"]["seats"] == [{"seat_id": "A-1", "row": "A", "number": "1"}]
    hold_id = body["offer"]["hold_id"]
    assert (await check_seat_invariants(resources, ev))["A-1"] == f"h:{hold_id}"
    # The offer's email (written to the outbox by the tick) names the seat, in the fan's
    # language.
    from app.notifications import content

    async with resources.pool.acquire() as conn:
        payload = await conn.fetchval(
            "SELECT payload FROM outbox WHERE kind = 'waitlist_offer' AND payload->>'hold_id' = $1",
            hold_id,
        )
        payload = payload if isinstance(payload, dict) else msgspec.json.decode(payload)
        assert payload["seats"] == "A-1"
        message = await content.build(conn, "waitlist_offer", payload, "de", "Alex")
    assert "Deine Plätze: Reihe A, Platz 1." in message.paragraphs, message.paragraphs
    bought = await pay_hold(api, resources, waiting, hold_id)
    assert [t["seat"]["seat_id"] for t in bought["tickets"]] == ["A-1"]
    mine = {t["seat"]["seat_id"]: t for t in (await my_tickets(api, seller))["tickets"]}
    assert (mine["A-1"]["status"], mine["A-1"]["listing"]["state"]) == ("void", "sold")
    assert (await check_seat_invariants(resources, ev))["A-1"][:2] == "s:"
    await no_drift(resources, ev)


async def test_a_refund_retried_after_a_redis_loss_frees_its_seats_once(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """The refund job freed the order's seats; Redis lost the event and was rebuilt; the job
    runs again: the counters still count the seats on the map (no seat freed twice)."""
    org, ev = await seated_event(api)
    seller, other = await bulk_fans(settings, 2)
    order = await buy_seats(api, resources, ev, seller, ["A-1", "A-2"])
    await buy_seats(api, resources, ev, other, ["B-1", "B-2", "B-3"])
    r = await api.client.post(
        f"/api/v1/orders/{order['order_id']}/refund", json={}, headers=org.headers
    )
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, order["order_id"]) == "refunded"
    before = await check_seat_invariants(resources, ev)
    report = await rebuilt_after_loss(resources, ev)
    assert report.restored
    assert await refunds.refund_order(resources, order["order_id"]) == "refunded"
    assert await check_seat_invariants(resources, ev) == before
    assert await user_seats(resources, ev) == {other.user_id: 3}
    await no_drift(resources, ev)
