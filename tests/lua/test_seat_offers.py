"""Waiting-list offers in a seated section, against a real Redis: an offer names its seats
(best available for the fan's quantity, side by side, under the orphan rule) and holds them
for the offer's life, so every seat is in one state and the rows' counts agree; a fan who
wants more seats side by side than came back gets no offer and keeps their place, and
nothing is offered twice or below zero."""

from __future__ import annotations

from app.core import keys
from app.core.clock import now_ms
from app.core.ids import new_id
from app.core.scripts import Scripts
from app.holds.scripts import Release, Reserve
from app.waitlist.scripts import Joined, Offered, waitlist_scripts
from tests.support.seats import SECTION, SeatedSale, grid_map

OFFER_MS = 60_000


async def test_a_seated_offer_names_and_holds_side_by_side_seats_or_none(
    scripts: Scripts,
) -> None:
    sale = await SeatedSale(scripts).setup(grid_map(rows=2, per_row=4), max_per_order=6)
    wl = waitlist_scripts(scripts)
    front = await sale.pick("u1", ["A-1", "A-2"])
    rest = await sale.pick("u2", ["A-3", "A-4", "B-1", "B-2"])
    back = await sale.pick("u3", ["B-3", "B-4"])
    assert (front.code, rest.code, back.code) == (Reserve.OK,) * 3
    assert await wl.join(sale.id, "w1", SECTION, 3, now_ms()) == (Joined.JOINED, 0)
    assert await wl.join(sale.id, "w2", SECTION, 1, now_ms()) == (Joined.JOINED, 0)

    # Two seats come back: fewer than w1 wants, so w2 (one seat) is offered one of them.
    assert await sale.release(front.hold_id, "u1") == Release.RELEASED
    offer = await wl.offer(sale.id, new_id(), OFFER_MS, now_ms())
    assert (offer.code, offer.user_id, offer.quantity) == (Offered.OFFERED, "w2", 1)
    states = await sale.check_conservation()
    offered = [seat for seat, state in states.items() if state == f"h:{offer.hold_id}"]
    assert len(offered) == 1
    assert offered[0] in ("A-1", "A-2")
    record = await sale.redis.hgetall(keys.hold(sale.id, offer.hold_id))  # type: ignore[misc]
    assert record["seats"] == offered[0]
    assert int(record["amount_cents"]) > 0
    nothing = await wl.offer(sale.id, new_id(), OFFER_MS, now_ms())
    assert nothing.code is Offered.NONE

    # Three seats are free now, but not side by side: w1 (three) still gets no offer.
    assert await sale.release(back.hold_id, "u3") == Release.RELEASED
    assert (await wl.offer(sale.id, new_id(), OFFER_MS, now_ms())).code is Offered.NONE
    await sale.check_conservation()
    inv = await sale.inv()
    assert (inv["available"], inv["held"]) == (3, 5)

    # The offer runs out and its seat comes back; once u2's hold ends too, both rows are
    # free and w1 is offered three seats side by side in one row.
    expired, _ = await sale.expire(offer.hold_id)
    assert expired == 1
    await sale.check_conservation()
    assert await sale.release(rest.hold_id, "u2") == Release.RELEASED
    whole = await wl.offer(sale.id, new_id(), OFFER_MS, now_ms())
    assert (whole.code, whole.user_id, whole.quantity) == (Offered.OFFERED, "w1", 3)
    states = await sale.check_conservation()
    got = sorted(seat for seat, state in states.items() if state == f"h:{whole.hold_id}")
    assert len(got) == 3
    assert len({s[0] for s in got}) == 1  # one row
    numbers = sorted(int(s.split("-")[1]) for s in got)
    assert numbers == list(range(numbers[0], numbers[0] + 3))  # side by side
