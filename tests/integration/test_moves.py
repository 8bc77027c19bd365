"""A fan's moves on real servers: cancel, transfer and accept, resale bought, withdrawn, and a
seller's refund that fails first; every step keeps conservation and the per-person limit."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import asyncpg
import msgspec
import pytest

from app.core import keys as redis_keys
from app.core.resources import Resources
from app.core.settings import Settings
from app.holds.reconcile import reconcile_event
from app.moves import resale
from app.tickets import codes as ticket_codes
from app.tickets import keys
from tests.support import checkout as h
from tests.support import tickets as door
from tests.support.api import Api, assert_problem, bulk_fans
from tests.support.moves import buy, check_invariants, event_with_rules, my_tickets, user_seats
from workers.waitlist import waitlist_tick


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def _audit_actions(settings: Settings) -> list[str]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        return [r["action"] for r in await conn.fetch("SELECT action FROM audit_log ORDER BY 1")]
    finally:
        await conn.close()


async def _outbox(settings: Settings, kind: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch("SELECT payload FROM outbox WHERE kind = $1", kind)
    finally:
        await conn.close()
    return [
        msgspec.json.decode(r["payload"]) if isinstance(r["payload"], str) else r["payload"]
        for r in rows
    ]


async def test_cancel_refunds_the_card_voids_tickets_and_returns_seats(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    _, event_id = await event_with_rules(api, capacity=4)
    fan, other = await bulk_fans(settings, 2)
    order = await buy(api, resources, event_id, fan, 2)
    assert await check_invariants(resources, event_id, 4) == {
        "available": 2,
        "held": 0,
        "sold": 2,
        "valid": 2,
        "listed": 0,
    }
    path = f"/api/v1/orders/{order['order_id']}/cancel"
    assert_problem(await api.client.post(path, headers=other.headers), 404, "not_found")

    r = await api.client.post(path, headers=fan.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "refunded"
    assert all(t["voided"] for t in body["tickets"])
    assert h.refunds_of(stripe_base, order["payment_intent_id"]) == 1
    assert await check_invariants(resources, event_id, 4) == {
        "available": 4,
        "held": 0,
        "sold": 0,
        "valid": 0,
        "listed": 0,
    }
    assert await user_seats(resources, event_id) == {}
    # A retried cancel has the effect of one.
    again = await api.client.post(path, headers=fan.headers)
    assert again.status_code == 200, again.text
    assert h.refunds_of(stripe_base, order["payment_intent_id"]) == 1
    assert (await check_invariants(resources, event_id, 4))["available"] == 4
    assert "order.cancel" in await _audit_actions(settings)
    statuses = {t["status"] for t in (await my_tickets(api, fan))["tickets"]}
    assert statuses == {"void"}


async def test_cancel_outside_the_rule_is_not_allowed(
    api: Api, settings: Settings, resources: Resources
) -> None:
    # The event starts in 10 days; cancelling closes 11 days before it: closed already.
    _, event_id = await event_with_rules(api, rules={"cancel_until_s": 11 * 86400})
    (fan,) = await bulk_fans(settings, 1)
    order = await buy(api, resources, event_id, fan, 1)
    r = await api.client.post(f"/api/v1/orders/{order['order_id']}/cancel", headers=fan.headers)
    assert_problem(r, 409, "not_allowed")
    _, off_id = await event_with_rules(api, rules={"cancel_enabled": False})
    off = await buy(api, resources, off_id, fan, 1)
    r = await api.client.post(f"/api/v1/orders/{off['order_id']}/cancel", headers=fan.headers)
    assert_problem(r, 409, "not_allowed")
    for eid in (event_id, off_id):
        assert (await check_invariants(resources, eid, 10))["sold"] == 1


async def test_transfer_and_accept_issue_a_new_code_and_void_the_old(
    api: Api, settings: Settings, resources: Resources
) -> None:
    org, event_id = await event_with_rules(api, capacity=10)
    fan, friend, stranger = await bulk_fans(settings, 3)
    order = await buy(api, resources, event_id, fan, 2)
    ticket = order["tickets"][0]
    r = await api.client.post(
        f"/api/v1/tickets/{ticket['ticket_id']}/transfer",
        json={"email": friend.email.upper()},
        headers=fan.headers,
    )
    assert r.status_code == 201, r.text
    transfer = r.json()
    assert transfer["state"] == "pending"
    # Offered once: a second offer of the same ticket waits for the first to end.
    again = await api.client.post(
        f"/api/v1/tickets/{ticket['ticket_id']}/transfer",
        json={"email": stranger.email},
        headers=fan.headers,
    )
    assert_problem(again, 409, "not_allowed")
    mine = {t["ticket_id"]: t for t in (await my_tickets(api, fan))["tickets"]}
    assert mine[ticket["ticket_id"]]["status"] == "pending_transfer"
    incoming = (await my_tickets(api, friend))["incoming"]
    assert [i["transfer_id"] for i in incoming] == [transfer["transfer_id"]]
    assert [p["user_id"] for p in await _outbox(settings, "ticket_transfer_offered")] == [
        friend.user_id
    ]

    accept = f"/api/v1/transfers/{transfer['transfer_id']}/accept"
    assert_problem(await api.client.post(accept, headers=stranger.headers), 404, "not_found")
    r = await api.client.post(accept, headers=friend.headers)
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["ticket_id"] != ticket["ticket_id"]
    assert accepted["code"] != ticket["code"]
    event_keys = {
        k.kid: ticket_codes.public_key_from(ticket_codes.b64url(k.public_key))
        for k in await keys.published(resources.pool, event_id)
    }
    claim = ticket_codes.verify(accepted["code"], event_keys).claim
    assert claim.ticket_id == accepted["ticket_id"]
    # Accepting again answers the same ticket: nothing twice.
    r2 = await api.client.post(accept, headers=friend.headers)
    assert r2.json() == accepted

    theirs = {t["ticket_id"]: t for t in (await my_tickets(api, friend))["tickets"]}
    assert theirs[accepted["ticket_id"]]["status"] == "valid"
    assert theirs[accepted["ticket_id"]]["code"] == accepted["code"]
    mine = {t["ticket_id"]: t for t in (await my_tickets(api, fan))["tickets"]}
    assert mine[ticket["ticket_id"]]["status"] == "transferred"
    assert mine[ticket["ticket_id"]]["code"] == ""
    # The buyer's order no longer shows the receiver's code.
    view = (await api.client.get(f"/api/v1/orders/{order['order_id']}", headers=fan.headers)).json()
    codes = {t["code"] for t in view["tickets"]}
    assert accepted["code"] not in codes
    assert {t["ticket_id"]: t["status"] for t in view["tickets"]}[ticket["ticket_id"]] == (
        "transferred"
    )
    # The organizer's view of the order has every ticket it issued, the receiver's too.
    seen = await api.client.get(f"/api/v1/orders/{order['order_id']}", headers=org.headers)
    assert sorted(t["status"] for t in seen.json()["tickets"]) == ["transferred", "valid", "valid"]
    assert accepted["code"] in {t["code"] for t in seen.json()["tickets"]}
    assert await user_seats(resources, event_id) == {fan.user_id: 1, friend.user_id: 1}
    assert await check_invariants(resources, event_id, 10) == {
        "available": 8,
        "held": 0,
        "sold": 2,
        "valid": 2,
        "listed": 0,
    }
    assert len(await _outbox(settings, "ticket_transfer_accepted")) == 1
    assert len(await _outbox(settings, "ticket_received")) == 1
    actions = await _audit_actions(settings)
    assert "ticket.transfer" in actions
    assert "ticket.transfer_accept" in actions
    # The buyer cannot cancel an order one of whose tickets went to someone else.
    r = await api.client.post(f"/api/v1/orders/{order['order_id']}/cancel", headers=fan.headers)
    assert_problem(r, 409, "not_allowed")


async def test_a_transfer_over_the_limit_is_refused(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, event_id = await event_with_rules(api, rules={"transfer_max_per_ticket": 1})
    fan, friend, third = await bulk_fans(settings, 3)
    order = await buy(api, resources, event_id, fan, 1)
    r = await api.client.post(
        f"/api/v1/tickets/{order['tickets'][0]['ticket_id']}/transfer",
        json={"email": friend.email},
        headers=fan.headers,
    )
    assert r.status_code == 201, r.text
    accepted = (
        await api.client.post(
            f"/api/v1/transfers/{r.json()['transfer_id']}/accept", headers=friend.headers
        )
    ).json()
    onward = await api.client.post(
        f"/api/v1/tickets/{accepted['ticket_id']}/transfer",
        json={"email": third.email},
        headers=friend.headers,
    )
    assert_problem(onward, 409, "transfer_limit_reached")
    # The old code is dead: nothing left to transfer.
    old = await api.client.post(
        f"/api/v1/tickets/{order['tickets'][0]['ticket_id']}/transfer",
        json={"email": third.email},
        headers=fan.headers,
    )
    assert_problem(old, 409, "not_allowed")
    assert await user_seats(resources, event_id) == {friend.user_id: 1}
    await check_invariants(resources, event_id, 10)


async def test_the_receivers_per_person_limit_stays(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, event_id = await event_with_rules(api, max_per_user=2, max_per_order=2)
    fan, friend = await bulk_fans(settings, 2)
    order = await buy(api, resources, event_id, fan, 1)
    await buy(api, resources, event_id, friend, 2)
    r = await api.client.post(
        f"/api/v1/tickets/{order['tickets'][0]['ticket_id']}/transfer",
        json={"email": friend.email},
        headers=fan.headers,
    )
    assert r.status_code == 201, r.text
    accept = await api.client.post(
        f"/api/v1/transfers/{r.json()['transfer_id']}/accept", headers=friend.headers
    )
    assert_problem(accept, 409, "limit_exceeded")
    mine = (await my_tickets(api, fan))["tickets"]
    assert [t["status"] for t in mine] == ["pending_transfer"]
    assert await user_seats(resources, event_id) == {fan.user_id: 1, friend.user_id: 2}
    # The sender takes it back; the ticket is theirs and valid as before.
    r2 = await api.client.delete(
        f"/api/v1/transfers/{r.json()['transfer_id']}", headers=fan.headers
    )
    assert r2.status_code == 204, r2.text
    assert [t["status"] for t in (await my_tickets(api, fan))["tickets"]] == ["valid"]
    await check_invariants(resources, event_id, 10)


async def test_a_transfer_after_the_cut_off_is_refused(
    api: Api, settings: Settings, resources: Resources
) -> None:
    org, event_id = await event_with_rules(api, rules={"transfer_cutoff_s": 3600})
    fan, friend = await bulk_fans(settings, 2)
    order = await buy(api, resources, event_id, fan, 1)
    ticket_id = order["tickets"][0]["ticket_id"]
    r = await api.client.post(
        f"/api/v1/tickets/{ticket_id}/transfer", json={"email": friend.email}, headers=fan.headers
    )
    assert r.status_code == 201, r.text
    # The organizer freezes transfers 11 days before the doors (the event is in 10 days):
    # an open transfer can no longer be accepted, nor a new one offered.
    rules = (
        await api.client.get(f"/api/v1/events/{event_id}/move-rules", headers=org.headers)
    ).json()
    rules["transfer_cutoff_s"] = 11 * 86400
    put = await api.client.put(
        f"/api/v1/events/{event_id}/move-rules", json=rules, headers=org.headers
    )
    assert put.status_code == 200, put.text
    accept = await api.client.post(
        f"/api/v1/transfers/{r.json()['transfer_id']}/accept", headers=friend.headers
    )
    assert_problem(accept, 409, "not_allowed")
    await api.client.delete(f"/api/v1/transfers/{r.json()['transfer_id']}", headers=fan.headers)
    again = await api.client.post(
        f"/api/v1/tickets/{ticket_id}/transfer", json={"email": friend.email}, headers=fan.headers
    )
    assert_problem(again, 409, "not_allowed")
    assert await user_seats(resources, event_id) == {fan.user_id: 1}
    await check_invariants(resources, event_id, 10)


async def test_resale_goes_to_the_waiting_list_and_pays_the_seller(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    _, event_id = await event_with_rules(api, capacity=2, rules={"resale_fee_cents": 300})
    seller, waiting = await bulk_fans(settings, 2)
    order = await buy(api, resources, event_id, seller, 2)
    # Sold out: a fan waits on the waiting list.
    r = await api.client.post(
        f"/api/v1/events/{event_id}/waitlist",
        json={"section": "FLOOR", "quantity": 1},
        headers=waiting.headers,
    )
    assert r.status_code == 201, r.text
    ticket = order["tickets"][1]
    r = await api.client.post(
        f"/api/v1/tickets/{ticket['ticket_id']}/resale", headers=seller.headers
    )
    assert r.status_code == 201, r.text
    listing = r.json()
    assert (listing["price_cents"], listing["currency"], listing["state"]) == (
        5000,
        "EUR",
        "listed",
    )
    assert listing["payout_cents"] == 4700
    assert await check_invariants(resources, event_id, 2) == {
        "available": 1,
        "held": 0,
        "sold": 1,
        "valid": 2,
        "listed": 1,
    }
    # The waiting list gets it first: an offer (a hold) the fan pays through the normal checkout.
    assert await waitlist_tick({"resources": resources}) == 1
    offer = (
        await api.client.get(f"/api/v1/events/{event_id}/waitlist", headers=waiting.headers)
    ).json()
    assert offer["state"] == "offered"
    checkout = await h.checkout(api.client, waiting, offer["offer"]["hold_id"])
    assert checkout.status_code == 201, checkout.text
    assert checkout.json()["amount_cents"] == 5000
    from app.orders import finalize

    assert (
        await finalize.finalize_payment(resources, checkout.json()["payment_intent_id"])
        == "confirmed"
    )
    # Sold: the seller's ticket is void; the withdrawal is too late.
    mine = {t["ticket_id"]: t for t in (await my_tickets(api, seller))["tickets"]}
    assert mine[ticket["ticket_id"]]["status"] == "void"
    assert mine[ticket["ticket_id"]]["listing"]["state"] == "sold"
    late = await api.client.delete(
        f"/api/v1/resale/{listing['listing_id']}", headers=seller.headers
    )
    assert_problem(late, 409, "listing_sold")
    assert await resale.pay_sellers(resources) == {"paid": 1, "failed": 0}
    assert await resale.pay_sellers(resources) == {"paid": 0, "failed": 0}
    refunds = h.stripe_get(stripe_base, "/v1/refunds", payment_intent=order["payment_intent_id"])
    assert [r["amount"] for r in refunds["data"]] == [4700]
    assert await check_invariants(resources, event_id, 2) == {
        "available": 0,
        "held": 0,
        "sold": 2,
        "valid": 2,
        "listed": 0,
    }
    assert await user_seats(resources, event_id) == {seller.user_id: 1, waiting.user_id: 1}
    assert len(await _outbox(settings, "resale_sold")) == 1
    # An organizer refund of the seller's order later gives back only the rest.
    org_refund = await api.client.get(f"/api/v1/orders/{order['order_id']}", headers=seller.headers)
    assert org_refund.json()["status"] == "confirmed"


async def test_resale_withdrawn_takes_the_seat_back_unless_someone_is_paying(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, event_id = await event_with_rules(api, capacity=2)
    seller, buyer = await bulk_fans(settings, 2)
    order = await buy(api, resources, event_id, seller, 2)
    t1, t2 = order["tickets"]
    first = (
        await api.client.post(f"/api/v1/tickets/{t1['ticket_id']}/resale", headers=seller.headers)
    ).json()
    assert (await check_invariants(resources, event_id, 2))["available"] == 1
    twice = await api.client.post(
        f"/api/v1/tickets/{t1['ticket_id']}/resale", headers=seller.headers
    )
    assert_problem(twice, 409, "not_allowed")
    r = await api.client.delete(f"/api/v1/resale/{first['listing_id']}", headers=buyer.headers)
    assert_problem(r, 404, "not_found")
    r = await api.client.delete(f"/api/v1/resale/{first['listing_id']}", headers=seller.headers)
    assert r.status_code == 204, r.text
    assert await check_invariants(resources, event_id, 2) == {
        "available": 0,
        "held": 0,
        "sold": 2,
        "valid": 2,
        "listed": 0,
    }
    r = await api.client.delete(f"/api/v1/resale/{first['listing_id']}", headers=seller.headers)
    assert r.status_code == 204
    assert (
        await api.client.get(f"/api/v1/resale/{first['listing_id']}", headers=seller.headers)
    ).json()["state"] == "withdrawn"

    # Listed again, and a fan holds the seat: no withdrawing while they pay.
    second = (
        await api.client.post(f"/api/v1/tickets/{t2['ticket_id']}/resale", headers=seller.headers)
    ).json()
    hold = await h.hold(api.client, event_id, buyer, 1)
    assert hold.status_code == 201, hold.text
    r = await api.client.delete(f"/api/v1/resale/{second['listing_id']}", headers=seller.headers)
    assert_problem(r, 409, "listing_in_checkout")
    # The fan lets go: the seller may withdraw now.
    assert (
        await api.client.delete(f"/api/v1/holds/{hold.json()['hold_id']}", headers=buyer.headers)
    ).status_code == 204
    r = await api.client.delete(f"/api/v1/resale/{second['listing_id']}", headers=seller.headers)
    assert r.status_code == 204, r.text
    assert await check_invariants(resources, event_id, 2) == {
        "available": 0,
        "held": 0,
        "sold": 2,
        "valid": 2,
        "listed": 0,
    }
    assert [t["status"] for t in (await my_tickets(api, seller))["tickets"]] == ["valid", "valid"]
    actions = await _audit_actions(settings)
    assert actions.count("ticket.resale_list") == 2
    assert actions.count("ticket.resale_withdraw") == 2


async def test_a_failing_seller_refund_is_retried_and_never_lost(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    _, event_id = await event_with_rules(api, capacity=1)
    seller, buyer = await bulk_fans(settings, 2)
    order = await buy(api, resources, event_id, seller, 1)
    listing = (
        await api.client.post(
            f"/api/v1/tickets/{order['tickets'][0]['ticket_id']}/resale", headers=seller.headers
        )
    ).json()
    await buy(api, resources, event_id, buyer, 1)
    # Stripe is unreachable for the first run: the payout stays due, with its error.
    dead = dataclasses.replace(
        resources, settings=msgspec.structs.replace(settings, stripe_api_base="http://127.0.0.1:9")
    )
    assert await resale.pay_sellers(dead) == {"paid": 0, "failed": 1}
    conn = await asyncpg.connect(settings.database_url)
    try:
        row = await conn.fetchrow(
            "SELECT * FROM resale_listings WHERE listing_id = $1", uuid.UUID(listing["listing_id"])
        )
        assert (row["state"], row["payout_state"], row["payout_attempts"]) == ("sold", "pending", 1)
        assert row["payout_error"]
        # Not due again before its backoff; then due (time moved by hand).
        assert await resale.pay_sellers(resources) == {"paid": 0, "failed": 0}
        await conn.execute("UPDATE resale_listings SET payout_next_at = now() - interval '1 s'")
    finally:
        await conn.close()
    assert h.refunds_of(stripe_base, order["payment_intent_id"]) == 0
    assert await resale.pay_sellers(resources) == {"paid": 1, "failed": 0}
    assert h.refunds_of(stripe_base, order["payment_intent_id"]) == 1
    assert await check_invariants(resources, event_id, 1) == {
        "available": 0,
        "held": 0,
        "sold": 1,
        "valid": 1,
        "listed": 0,
    }
    assert await user_seats(resources, event_id) == {buyer.user_id: 1}


async def test_a_sale_takes_the_oldest_listing_and_only_as_many_as_its_seats(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, event_id = await event_with_rules(api, capacity=3)
    seller, buyer = await bulk_fans(settings, 2)
    order = await buy(api, resources, event_id, seller, 3)
    listed = []
    for ticket in order["tickets"][:2]:
        r = await api.client.post(
            f"/api/v1/tickets/{ticket['ticket_id']}/resale", headers=seller.headers
        )
        assert r.status_code == 201, r.text
        listed.append(r.json()["listing_id"])
    await buy(api, resources, event_id, buyer, 1)
    states = [
        (await api.client.get(f"/api/v1/resale/{x}", headers=seller.headers)).json()["state"]
        for x in listed
    ]
    assert states == ["sold", "listed"]
    assert await resale.pay_sellers(resources) == {"paid": 1, "failed": 0}
    assert await check_invariants(resources, event_id, 3) == {
        "available": 1,
        "held": 0,
        "sold": 2,
        "valid": 3,
        "listed": 1,
    }


async def test_an_organizer_refund_after_moves_returns_each_seat_once(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    org, event_id = await event_with_rules(api, capacity=4)
    buyer, friend, other = await bulk_fans(settings, 3)
    order = await buy(api, resources, event_id, buyer, 4)
    t1, t2, t3, _ = order["tickets"]
    # One ticket transferred, one listed, one resold (bought by another fan).
    r = await api.client.post(
        f"/api/v1/tickets/{t1['ticket_id']}/transfer",
        json={"email": friend.email},
        headers=buyer.headers,
    )
    await api.client.post(
        f"/api/v1/transfers/{r.json()['transfer_id']}/accept", headers=friend.headers
    )
    sold = (
        await api.client.post(f"/api/v1/tickets/{t2['ticket_id']}/resale", headers=buyer.headers)
    ).json()
    await buy(api, resources, event_id, other, 1)
    listed = (
        await api.client.post(f"/api/v1/tickets/{t3['ticket_id']}/resale", headers=buyer.headers)
    ).json()
    assert await resale.pay_sellers(resources) == {"paid": 1, "failed": 0}
    assert await check_invariants(resources, event_id, 4) == {
        "available": 1,
        "held": 0,
        "sold": 3,
        "valid": 4,
        "listed": 1,
    }
    r = await api.client.post(
        f"/api/v1/orders/{order['order_id']}/refund", json={}, headers=org.headers
    )
    assert r.status_code == 202, r.text
    from app.orders import refunds

    assert await refunds.refund_order(resources, order["order_id"]) == "refunded"
    assert await refunds.refund_order(resources, order["order_id"]) == "refunded"
    # The resold seat stays its buyer's; the rest come back; the part refund stayed a part.
    assert await check_invariants(resources, event_id, 4) == {
        "available": 3,
        "held": 0,
        "sold": 1,
        "valid": 1,
        "listed": 0,
    }
    assert await user_seats(resources, event_id) == {other.user_id: 1}
    listing = (
        await api.client.get(f"/api/v1/resale/{listed['listing_id']}", headers=buyer.headers)
    ).json()
    assert listing["state"] == "refunded"
    assert (
        await api.client.get(f"/api/v1/resale/{sold['listing_id']}", headers=buyer.headers)
    ).json()["state"] == "sold"
    amounts = sorted(
        r["amount"]
        for r in h.stripe_get(
            stripe_base, "/v1/refunds", payment_intent=order["payment_intent_id"]
        )["data"]
    )
    assert amounts == [5000, 15000]


async def test_a_ticket_listed_for_resale_does_not_get_in_until_withdrawn(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """Its seat is on sale again while it is listed: online and in the scanner's offline
    copy the door refuses it, and it gets in once the listing is withdrawn."""
    org, event_id = await event_with_rules(api, capacity=2)
    (seller,) = await bulk_fans(settings, 1)
    await buy(api, resources, event_id, seller, 1)
    (ticket,) = (await my_tickets(api, seller))["tickets"]
    scanner = await door.scanner_of(api, org, event_id)
    listing = (
        await api.client.post(
            f"/api/v1/tickets/{ticket['ticket_id']}/resale", headers=seller.headers
        )
    ).json()
    assert listing["state"] == "listed"

    r = await api.client.get(f"/api/v1/events/{event_id}/checkin-data", headers=scanner.headers)
    assert r.status_code == 200, r.text
    (offline,) = [t for t in r.json()["tickets"] if t["ticket_id"] == ticket["ticket_id"]]
    assert (offline["status"], offline["rotation_secret"]) == ("void", "")
    listed = await door.scan(api, scanner, door.live_code(ticket), gate="North")
    assert listed["result"] == "void"

    r = await api.client.delete(f"/api/v1/resale/{listing['listing_id']}", headers=seller.headers)
    assert r.status_code == 204, r.text
    r = await api.client.get(f"/api/v1/events/{event_id}/checkin-data", headers=scanner.headers)
    (offline,) = [t for t in r.json()["tickets"] if t["ticket_id"] == ticket["ticket_id"]]
    assert offline["status"] == "valid"
    back = await door.scan(api, scanner, door.live_code(ticket), gate="North")
    assert back["result"] == "admitted"


async def test_open_listings_outlive_a_redis_loss_and_are_bought_or_withdrawn(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """Redis loses the event with both tickets of an order listed: after the rebuild a buyer
    takes one listing, and the seller withdraws the other and gets the seat back, not left on
    sale for a third fan (the rebuild puts the open listings back in Redis's listed set)."""
    _, event_id = await event_with_rules(api, capacity=2)
    seller, buyer = await bulk_fans(settings, 2)
    order = await buy(api, resources, event_id, seller, 2)
    listings = []
    for ticket in order["tickets"]:
        r = await api.client.post(
            f"/api/v1/tickets/{ticket['ticket_id']}/resale", headers=seller.headers
        )
        assert r.status_code == 201, r.text
        listings.append(r.json()["listing_id"])
    lost = [k async for k in resources.redis.scan_iter(match=redis_keys.tag(event_id) + "*")]
    await resources.redis.delete(*lost)
    report = await reconcile_event(
        resources.pool, resources.redis, resources.scripts, resources.settings, event_id
    )
    assert report.restored
    assert (await check_invariants(resources, event_id, 2))["available"] == 2

    await buy(api, resources, event_id, buyer, 1)
    sold = await api.client.get(f"/api/v1/resale/{listings[0]}", headers=seller.headers)
    assert sold.json()["state"] == "sold", sold.text
    r = await api.client.delete(f"/api/v1/resale/{listings[1]}", headers=seller.headers)
    assert r.status_code == 204, r.text
    # The seller's payout settles the sold listing (until then its seat counts for them).
    assert await resale.pay_sellers(resources) == {"paid": 1, "failed": 0}
    assert await check_invariants(resources, event_id, 2) == {
        "available": 0,
        "held": 0,
        "sold": 2,
        "valid": 2,
        "listed": 0,
    }


async def _lose_and_rebuild(resources: Resources, event_id: str) -> None:
    """Redis loses every key of the event; reconcile rebuilds it from the record."""
    lost = [k async for k in resources.redis.scan_iter(match=redis_keys.tag(event_id) + "*")]
    await resources.redis.delete(*lost)
    report = await reconcile_event(
        resources.pool, resources.redis, resources.scripts, resources.settings, event_id
    )
    assert report.restored


async def test_a_refund_retried_after_a_redis_loss_returns_its_seats_once(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """The refund job returned the order's seats, then Redis lost the event and was rebuilt
    (the record's sold already without them); the job runs again, as a retried job would:
    the seats do not go back on sale a second time (no oversell later), and nobody's
    per-account count drops twice (the rebuild remembers the orders already returned)."""
    org, event_id = await event_with_rules(api, capacity=4)
    buyer, other = await bulk_fans(settings, 2)
    order = await buy(api, resources, event_id, buyer, 1)
    others = await buy(api, resources, event_id, other, 2)
    r = await api.client.post(
        f"/api/v1/orders/{order['order_id']}/refund", json={}, headers=org.headers
    )
    assert r.status_code == 202, r.text
    from app.orders import refunds

    assert await refunds.refund_order(resources, order["order_id"]) == "refunded"
    after_refund = await check_invariants(resources, event_id, 4)
    assert after_refund == {"available": 2, "held": 0, "sold": 2, "valid": 2, "listed": 0}
    await _lose_and_rebuild(resources, event_id)
    assert await refunds.refund_order(resources, order["order_id"]) == "refunded"
    assert await check_invariants(resources, event_id, 4) == after_refund
    assert await user_seats(resources, event_id) == {other.user_id: 2}
    # Only the two free seats can be held: a third would be an oversell.
    (late,) = await bulk_fans(settings, 1)
    assert (await h.hold(api.client, event_id, late, 3)).status_code == 409
    # An order still confirmed at the loss is not marked returned: its refund frees its seats.
    r = await api.client.post(
        f"/api/v1/orders/{others['order_id']}/refund", json={}, headers=org.headers
    )
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, others["order_id"]) == "refunded"
    assert await check_invariants(resources, event_id, 4) == {
        "available": 4,
        "held": 0,
        "sold": 0,
        "valid": 0,
        "listed": 0,
    }
    assert await user_seats(resources, event_id) == {}


async def test_a_payout_retried_after_a_redis_loss_settles_the_seller_once(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """A resold ticket's payout settled the seller's count, then failed at Stripe; Redis lost
    the event and was rebuilt (the seller's count from their live tickets, the resold one no
    longer among them); the payout's retry does not take the seat off the seller again."""
    _, event_id = await event_with_rules(api, capacity=2)
    seller, buyer = await bulk_fans(settings, 2)
    order = await buy(api, resources, event_id, seller, 2)
    r = await api.client.post(
        f"/api/v1/tickets/{order['tickets'][0]['ticket_id']}/resale", headers=seller.headers
    )
    assert r.status_code == 201, r.text
    await buy(api, resources, event_id, buyer, 1)
    dead = dataclasses.replace(
        resources, settings=msgspec.structs.replace(settings, stripe_api_base="http://127.0.0.1:9")
    )
    assert await resale.pay_sellers(dead) == {"paid": 0, "failed": 1}
    assert await user_seats(resources, event_id) == {seller.user_id: 1, buyer.user_id: 1}
    await _lose_and_rebuild(resources, event_id)
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute("UPDATE resale_listings SET payout_next_at = now() - interval '1 s'")
    finally:
        await conn.close()
    assert await resale.pay_sellers(resources) == {"paid": 1, "failed": 0}
    assert await check_invariants(resources, event_id, 2) == {
        "available": 0,
        "held": 0,
        "sold": 2,
        "valid": 2,
        "listed": 0,
    }
    assert await user_seats(resources, event_id) == {seller.user_id: 1, buyer.user_id: 1}


async def test_an_accepted_transfer_is_applied_once_across_a_redis_loss(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """The rebuild counts a transferred ticket for its receiver and remembers the transfer
    as applied: the transfer script run again with its id changes nothing."""
    _, event_id = await event_with_rules(api, capacity=3)
    sender, receiver = await bulk_fans(settings, 2)
    order = await buy(api, resources, event_id, sender, 2)
    r = await api.client.post(
        f"/api/v1/tickets/{order['tickets'][0]['ticket_id']}/transfer",
        json={"email": receiver.email},
        headers=sender.headers,
    )
    assert r.status_code == 201, r.text
    transfer_id = r.json()["transfer_id"]
    r = await api.client.post(f"/api/v1/transfers/{transfer_id}/accept", headers=receiver.headers)
    assert r.status_code in (200, 201), r.text
    # A second ticket's transfer still pending at the loss: accepted after the rebuild, it moves.
    r = await api.client.post(
        f"/api/v1/tickets/{order['tickets'][1]['ticket_id']}/transfer",
        json={"email": receiver.email},
        headers=sender.headers,
    )
    assert r.status_code == 201, r.text
    pending_id = r.json()["transfer_id"]
    await _lose_and_rebuild(resources, event_id)
    counts = {sender.user_id: 1, receiver.user_id: 1}
    assert await user_seats(resources, event_id) == counts
    from app.holds.moves import Transferred, move_scripts

    code, _ = await move_scripts(resources.scripts).transfer(
        event_id, transfer_id, sender.user_id, receiver.user_id
    )
    assert code is Transferred.ALREADY
    assert await user_seats(resources, event_id) == counts
    r = await api.client.post(f"/api/v1/transfers/{pending_id}/accept", headers=receiver.headers)
    assert r.status_code in (200, 201), r.text
    assert await user_seats(resources, event_id) == {receiver.user_id: 2}
    await check_invariants(resources, event_id, 3)
