"""Waiting list after sell-out (real Redis and Postgres): offers as holds, FIFO, outbox notices."""

from __future__ import annotations

from typing import Any

from app.core import keys
from app.core.clock import now_ms
from app.core.resources import Resources
from app.core.settings import Settings
from app.holds.scripts import Convert, hold_scripts
from app.waitlist import service
from tests.support.api import Api, assert_problem, bulk_fans
from tests.support.holds import assert_conserved, create_fans, inventory
from tests.support.queue import room
from tests.support.waitlist import WaitingList, hold_seats, small_event


async def outbox(resources: Resources) -> list[dict[str, Any]]:
    rows = await resources.pool.fetch(
        "SELECT dedup_key, payload FROM outbox WHERE kind = 'waitlist_offer' ORDER BY message_id"
    )
    return [dict(r["payload"], dedup_key=r["dedup_key"]) for r in rows]


async def test_returned_seats_go_to_waiting_fans_in_turn_as_holds(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, event = await small_event(api, 3, max_per_user=4)
    event_id = event["event_id"]
    wl = WaitingList(api.client, event_id)
    buyer, early, b, c, d = await create_fans(settings.database_url, settings.secret_key, 5)

    # Seats on sale: the waiting list sends the fan to buy them instead.
    assert_problem(await wl.join(early.headers(), 1), 409, "seats_available")

    bought = await hold_seats(api.client, resources, event_id, buyer, 3)

    # Sold out: fans join; a repeat keeps the first place; limits are checked up front.
    r = await wl.join(b.headers(), 1)
    assert r.status_code == 201, r.text
    assert r.json() == {"state": "waiting", "section": "FLOOR", "quantity": 1, "position": 1}
    assert (await wl.join(b.headers(), 2)).status_code == 200
    assert (await wl.join(c.headers(), 2)).json()["position"] == 2
    assert_problem(await wl.join(d.headers(), 7), 409, "limit_exceeded")
    assert (await wl.join(d.headers(), 1)).json()["position"] == 3
    assert await service.offer_step(resources.scripts, event_id) == []

    # Expiry: the buyer's hold runs out; its seats are offered first come, first served
    # among the requests that fit (b wants 1, c wants 2: both fit 3 seats; d too).
    expired, _ = await hold_scripts(resources.scripts).expire(
        event_id, [bought], now_ms() + 3600_000
    )
    assert expired == 1
    offers = await service.offer_step(resources.scripts, event_id)
    assert len(offers) == 2  # b (1 seat) and c (2 seats); none left for d
    inv = await inventory(resources.redis, event_id)
    assert_conserved(inv)
    assert (inv["available"], inv["held"]) == (0, 3)

    sb, sc, sd = [await wl.status(f.headers()) for f in (b, c, d)]
    assert sb["state"] == "offered"
    assert sb["offer"]["quantity"] == 1
    assert sc["state"] == "offered"
    assert sc["offer"]["quantity"] == 2
    assert sd == {"state": "waiting", "section": "FLOOR", "quantity": 1, "position": 1}
    # The offer is the fan's own hold, readable through the holds API.
    r = await api.client.get(f"/api/v1/holds/{sb['offer']['hold_id']}", headers=b.headers())
    assert r.status_code == 200
    assert r.json()["status"] == "active"
    assert r.json()["amount_cents"] == 5000
    r = await api.client.get(f"/api/v1/holds/{sb['offer']['hold_id']}", headers=c.headers())
    assert r.status_code == 404

    # Notices go through the outbox, once per offer.
    assert await service.notify_offers(resources.pool, resources.scripts, event_id) == 2
    assert await service.notify_offers(resources.pool, resources.scripts, event_id) == 0
    notices = await outbox(resources)
    assert {n["user_id"] for n in notices} == {b.user_id, c.user_id}
    assert {n["dedup_key"] for n in notices} == {
        f"waitlist_offer:{sb['offer']['hold_id']}",
        f"waitlist_offer:{sc['offer']['hold_id']}",
    }

    # An offer not taken lapses like any hold; the seat goes to the next fan (d).
    await hold_scripts(resources.scripts).expire(
        event_id, [sb["offer"]["hold_id"]], now_ms() + 3600_000
    )
    assert (await wl.status(b.headers()))["state"] == "lapsed"
    assert len(await service.offer_step(resources.scripts, event_id)) == 1
    assert (await wl.status(d.headers()))["state"] == "offered"
    assert_conserved(await inventory(resources.redis, event_id))


async def test_capacity_added_and_refunds_make_offers(
    api: Api, settings: Settings, resources: Resources
) -> None:
    org, event = await small_event(api, 2)
    event_id = event["event_id"]
    wl = WaitingList(api.client, event_id)
    buyer, b, c = await create_fans(settings.database_url, settings.secret_key, 3)
    bought = await hold_seats(api.client, resources, event_id, buyer, 2)
    paid = await hold_scripts(resources.scripts).convert(
        event_id,
        bought,
        payment_intent_id="pi_test",
        order_id="order-1",
        user_id=buyer.user_id,
        section="FLOOR",
        quantity=2,
        now=now_ms(),
    )
    assert paid is Convert.CONVERTED
    assert (await wl.join(b.headers(), 1)).status_code == 201
    assert (await wl.join(c.headers(), 1)).status_code == 201

    # Capacity added live by the organizer.
    r = await api.client.post(
        f"/api/v1/events/{event_id}/sections/FLOOR/capacity",
        json={"delta": 1},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    assert len(await service.offer_step(resources.scripts, event_id)) == 1
    assert (await wl.status(b.headers()))["state"] == "offered"

    # A refund puts seats back (the refund job's Redis step): the next fan's offer.
    returned = await hold_scripts(resources.scripts).return_seats(
        event_id, order_id="order-1", section="FLOOR", quantity=1, user_id=buyer.user_id
    )
    assert returned
    inv_before = await inventory(resources.redis, event_id)
    assert inv_before["available"] >= 1
    assert len(await service.offer_step(resources.scripts, event_id)) == 1
    assert (await wl.status(c.headers()))["state"] == "offered"

    # Leaving with a live offer gives its seat back at once.
    r = await api.client.delete(wl.path, headers=c.headers())
    assert r.status_code == 204
    assert (await api.client.get(wl.path, headers=c.headers())).status_code == 404
    inv = await inventory(resources.redis, event_id)
    assert inv["available"] == inv_before["available"]
    assert await resources.redis.zcard(keys.waitlist_line(event_id)) == 0


async def test_offers_respect_the_per_account_limit(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, event = await small_event(api, 2, max_per_user=2)
    event_id = event["event_id"]
    wl = WaitingList(api.client, event_id)
    fan, other = await create_fans(settings.database_url, settings.secret_key, 2)
    await hold_seats(api.client, resources, event_id, fan, 1)
    await hold_seats(api.client, resources, event_id, other, 1)
    # 1 held + 2 wanted > 2 per account: refused at the door.
    assert_problem(await wl.join(fan.headers(), 2), 409, "limit_exceeded")
    assert (await wl.join(fan.headers(), 1)).status_code == 201
    # The other fan's seat comes back: the offer brings the fan to its limit, not past it.
    held = await resources.redis.hget(keys.user_seats(event_id), other.user_id)
    for h in await resources.redis.zrange(keys.hold_expiry(event_id), 0, -1):
        record = await resources.redis.hgetall(keys.hold(event_id, h))
        if record["user_id"] == other.user_id:
            r = await api.client.delete(f"/api/v1/holds/{h}", headers=other.headers())
            assert r.status_code == 204
    assert held == "1"
    assert len(await service.offer_step(resources.scripts, event_id)) == 1
    assert (await wl.status(fan.headers()))["state"] == "offered"
    assert await resources.redis.hget(keys.user_seats(event_id), fan.user_id) == "2"
    assert_problem(await wl.join(other.headers(), 1, section="NOPE"), 422, "invalid_request")


async def test_fans_still_in_the_waiting_room_come_first(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, event = await small_event(api, 2, waiting_room=room())
    event_id = event["event_id"]
    wl = WaitingList(api.client, event_id)
    buyer, late = await create_fans(settings.database_url, settings.secret_key, 2)
    (in_line,) = await bulk_fans(settings, 1)
    bought = await hold_seats(api.client, resources, event_id, buyer, 2)
    queue = f"/api/v1/events/{event_id}/queue"
    assert (await api.client.post(queue, headers=in_line.headers)).json()["state"] == "waiting"
    assert (await wl.join(late.headers(), 1)).status_code == 201

    await hold_scripts(resources.scripts).expire(event_id, [bought], now_ms() + 3600_000)
    # A fan still has a place in the room: the seats are the room's, no offer.
    assert await service.offer_step(resources.scripts, event_id) == []
    assert (await api.client.delete(queue, headers=in_line.headers)).status_code == 204
    assert len(await service.offer_step(resources.scripts, event_id)) == 1
    assert (await wl.status(late.headers()))["state"] == "offered"
