"""Ticket types in the hold scripts: each line checked in the hold's one call, all or nothing,
and every way a hold or order ends moving its lines' type counters."""

from __future__ import annotations

from app.core.clock import now_ms
from app.core.scripts import Scripts
from app.holds.scripts import Convert, Release, Reserve
from tests.lua.sale import Sale


async def typed_sale(scripts: Scripts, capacity: int = 10) -> Sale:
    """Capacity 10: ADULT 30.00 (quota 6, 4 per order), CHILD 12.00 (quota 4, needs an
    ADULT), VIP 99.00 (quota 2): quotas add up to 12, more than the section."""
    sale = await Sale(scripts).setup(capacity, max_per_order=8, max_per_user=10)
    await sale.add_type("ADULT", quota=6, price=3000, limit=4)
    await sale.add_type("CHILD", quota=4, price=1200, companion="ADULT")
    await sale.add_type("VIP", quota=2, price=9900)
    return sale


async def conserved(sale: Sale, *codes: str) -> dict[str, dict[str, int]]:
    out = {}
    for code in codes:
        c = await sale.type_counts(code)
        assert c["available"] + c["held"] + c["sold"] == c["quota"], (code, c)
        assert c["available"] >= 0
        out[code] = c
    inv = await sale.inv()
    assert inv["available"] + inv["held"] + inv["sold"] == inv["capacity"]
    return out


async def test_mixed_types_in_one_hold_price_each_line(scripts: Scripts) -> None:
    sale = await typed_sale(scripts)
    out = await sale.reserve_lines("u1", [("ADULT", 2), ("CHILD", 1)])
    assert out.code is Reserve.OK
    assert out.amount_cents == 2 * 3000 + 1200
    assert out.seats == "ADULT:2:6000,CHILD:1:1200"
    assert await sale.field(out.hold_id, "lines") == "ADULT:2:6000,CHILD:1:1200"
    counts = await conserved(sale, "ADULT", "CHILD", "VIP")
    assert counts["ADULT"]["held"] == 2
    assert counts["CHILD"]["held"] == 1
    assert (await sale.inv())["held"] == 3
    assert await sale.seats("u1") == 3


async def test_companion_rule_needs_one_adult_in_the_same_hold(scripts: Scripts) -> None:
    sale = await typed_sale(scripts)
    alone = await sale.reserve_lines("u1", [("CHILD", 2)])
    assert alone.code is Reserve.COMPANION_REQUIRED
    assert alone.seats == "CHILD,ADULT"
    with_vip = await sale.reserve_lines("u1", [("CHILD", 1), ("VIP", 1)])
    assert with_vip.code is Reserve.COMPANION_REQUIRED
    # The rule is "at least one": one adult brings any number of children.
    ok = await sale.reserve_lines("u1", [("CHILD", 3), ("ADULT", 1)])
    assert ok.code is Reserve.OK
    counts = await conserved(sale, "ADULT", "CHILD", "VIP")
    assert counts["CHILD"]["held"] == 3
    assert counts["VIP"]["held"] == 0


async def test_each_refusal_takes_nothing(scripts: Scripts) -> None:
    sale = await typed_sale(scripts)
    before = await conserved(sale, "ADULT", "CHILD", "VIP")
    inv = await sale.inv()
    refusals = {
        Reserve.TYPE_LIMIT: [("ADULT", 5)],
        Reserve.TYPE_SOLD_OUT: [("VIP", 3)],
        Reserve.NO_SUCH_TYPE: [("ADULT", 1), ("NOPE", 1)],
    }
    for expected, lines in refusals.items():
        out = await sale.reserve_lines("u1", lines)
        assert out.code is expected, (expected, out)
    assert (await sale.reserve("u1", 2))[0] == Reserve.TYPE_REQUIRED
    assert await conserved(sale, "ADULT", "CHILD", "VIP") == before
    assert await sale.inv() == inv
    assert await sale.seats("u1") == 0


async def test_a_quota_bounds_its_type_and_the_section_bounds_them_all(scripts: Scripts) -> None:
    sale = await typed_sale(scripts, capacity=5)
    assert (await sale.reserve_lines("u1", [("VIP", 2)])).code is Reserve.OK
    refused = await sale.reserve_lines("u2", [("VIP", 1)])
    assert (refused.code, refused.n1, refused.seats) == (Reserve.TYPE_SOLD_OUT, 0, "VIP")
    assert (await sale.reserve_lines("u2", [("ADULT", 3)])).code is Reserve.OK
    # ADULT has 3 of its quota left, but the section has none.
    assert (await sale.reserve_lines("u3", [("ADULT", 1)])).code is Reserve.SOLD_OUT
    await conserved(sale, "ADULT", "CHILD", "VIP")


async def test_sale_window_of_a_type(scripts: Scripts) -> None:
    sale = await typed_sale(scripts)
    now = now_ms()
    await sale.add_type("EARLY", quota=3, price=2000, closes=now - 1)
    await sale.add_type("LATER", quota=3, price=2000, opens=now + 60_000)
    closed = await sale.reserve_lines("u1", [("EARLY", 1)])
    assert (closed.code, closed.n1) == (Reserve.TYPE_NOT_ON_SALE, 2)
    later = await sale.reserve_lines("u1", [("LATER", 1)], now=now)
    assert (later.code, later.n1, later.n2) == (Reserve.TYPE_NOT_ON_SALE, 1, now + 60_000)
    assert (await sale.reserve_lines("u1", [("LATER", 1)], now=now + 60_000)).code is Reserve.OK


async def test_release_expire_and_abandoned_checkout_give_back_per_type(scripts: Scripts) -> None:
    sale = await typed_sale(scripts)
    a = await sale.reserve_lines("u1", [("ADULT", 2), ("CHILD", 1)])
    b = await sale.reserve_lines("u2", [("ADULT", 1), ("VIP", 2)])
    c = await sale.reserve_lines("u3", [("ADULT", 1), ("CHILD", 2)])
    assert await sale.release(a.hold_id, "u1") == Release.RELEASED
    assert await sale.expire(b.hold_id) == [1, 3]
    await sale.begin(c.hold_id, "u3", "pi_c")
    assert await sale.expire_checkout(c.hold_id, "pi_c")
    counts = await conserved(sale, "ADULT", "CHILD", "VIP")
    assert all(counts[t]["held"] == 0 for t in counts)
    assert [counts[t]["available"] for t in ("ADULT", "CHILD", "VIP")] == [6, 4, 2]


async def test_convert_refund_and_late_payment_per_type(scripts: Scripts) -> None:
    sale = await typed_sale(scripts)
    paid = await sale.reserve_lines("u1", [("ADULT", 1), ("CHILD", 2)])
    await sale.begin(paid.hold_id, "u1", "pi_1")
    assert await sale.convert(paid.hold_id, "pi_1", "u1", 3) is Convert.CONVERTED
    counts = await conserved(sale, "ADULT", "CHILD")
    assert (counts["ADULT"]["sold"], counts["CHILD"]["sold"]) == (1, 2)
    assert await sale.return_seats(f"o-{paid.hold_id}", "u1", 3, "ADULT:1,CHILD:2")
    assert not await sale.return_seats(f"o-{paid.hold_id}", "u1", 3, "ADULT:1,CHILD:2")
    counts = await conserved(sale, "ADULT", "CHILD")
    assert (counts["ADULT"]["sold"], counts["CHILD"]["sold"]) == (0, 0)

    # A late payment retakes its lines only while every type has them left.
    late = await sale.reserve_lines("u2", [("VIP", 2)])
    await sale.expire(late.hold_id)
    taker = await sale.reserve_lines("u3", [("VIP", 1)])
    assert await sale.convert(late.hold_id, "pi_2", "u2", 2) is Convert.NO_SEATS
    await sale.release(taker.hold_id, "u3")
    assert await sale.convert(late.hold_id, "pi_2", "u2", 2) is Convert.RETAKEN
    counts = await conserved(sale, "VIP")
    assert counts["VIP"]["sold"] == 2


async def test_a_section_without_types_sells_as_before(scripts: Scripts) -> None:
    sale = await Sale(scripts).setup(5)
    assert (await sale.reserve("u1", 2))[0] == Reserve.OK
    named = await sale.reserve_lines("u1", [("ADULT", 1)])
    assert (named.code, named.seats) == (Reserve.NO_SUCH_TYPE, "ADULT")


async def test_quota_cannot_go_below_what_is_held_and_sold(scripts: Scripts) -> None:
    sale = await typed_sale(scripts)
    assert (await sale.reserve_lines("u1", [("VIP", 2)])).code is Reserve.OK
    assert (await sale.add_type("VIP", quota=1, price=9900))[0] == -1
    assert (await sale.add_type("VIP", quota=5, price=9900))[:2] == [1, 3]
    await conserved(sale, "VIP")
