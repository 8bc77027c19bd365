"""The seat paths of the hold scripts against a real Redis: picks all or none, refusals that
name their seats, best available (same row, the orphan rule, the focal point, categories,
accessible seats), and each seat following its hold through release, expiry, convert and
refund, with blocks and re-imports; a sold seat listed for resale and withdrawn."""

from __future__ import annotations

import asyncio
from typing import Any

from app.core import keys
from app.core.scripts import Scripts
from app.holds.moves import Listed, Withdrawn
from app.holds.scripts import Convert, Release, Reserve
from app.seating.scripts import Block, Load
from tests.support.seats import SECTION, SeatedSale, grid_map, seat_ids


async def test_a_pick_takes_all_its_seats_or_none_and_names_the_taken(scripts: Scripts) -> None:
    sale = await SeatedSale(scripts).setup()
    first = await sale.pick("u1", ["A-1", "A-2"])
    assert first.code is Reserve.OK
    assert first.seats == "A-1\tA\t1\nA-2\tA\t2"
    assert first.amount_cents == 2 * 2000  # category "front"
    refused = await sale.pick("u2", ["A-3", "A-2", "A-1"])
    assert refused.code is Reserve.SEATS_TAKEN
    assert refused.seats.split(",") == ["A-2", "A-1"]
    states = await sale.check_conservation()
    assert states["A-3"] == ""  # nothing of the refused pick was taken
    assert await sale.user_seats("u2") == 0
    unknown = await sale.pick("u2", ["A-3", "Q-1"])
    assert (unknown.code, unknown.seats) == (Reserve.UNKNOWN_SEATS, "Q-1")
    # Mixed categories: each seat at its category's price.
    mixed = await sale.pick("u2", ["E-10", "F-10"])
    assert mixed.amount_cents == 2000 + 1000


async def test_concurrent_picks_of_one_seat_give_it_to_one(scripts: Scripts) -> None:
    sale = await SeatedSale(scripts).setup()
    results = await asyncio.gather(
        *(sale.pick(f"u{i}", ["C-5", f"C-{i % 3 + 6}"]) for i in range(40))
    )
    won = [r for r in results if r.code is Reserve.OK]
    assert len(won) == 1
    assert all(r.code is Reserve.SEATS_TAKEN and "C-5" in r.seats for r in results if r not in won)
    await sale.check_conservation()


async def test_limits_and_idempotency_apply_to_seats(scripts: Scripts) -> None:
    sale = await SeatedSale(scripts).setup(max_per_order=2, max_per_user=3)
    assert (await sale.pick("u1", ["A-1", "A-2", "A-3"])).code is Reserve.LIMIT_PER_ORDER
    assert (await sale.pick("u1", ["A-1", "A-2"])).code is Reserve.OK
    assert (await sale.pick("u1", ["B-1", "B-2"])).code is Reserve.LIMIT_PER_USER
    idem = ("u2:k1", "fp-1")
    one = await sale.pick("u2", ["D-1"], idem=idem)
    again = await sale.pick("u2", ["D-1"], idem=idem)
    assert again.replayed
    assert (again.code, again.hold_id, again.seats) == (one.code, one.hold_id, one.seats)
    assert (await sale.pick("u2", ["D-2"], idem=("u2:k1", "fp-2"))).code is (
        Reserve.IDEMPOTENCY_CONFLICT
    )
    await sale.check_conservation()


async def test_best_available_leaves_no_orphan_when_another_block_exists(
    scripts: Scripts,
) -> None:
    # One row of 8 seats, the focal point between seats 4 and 5.
    sale = await SeatedSale(scripts).setup(grid_map(rows=1, per_row=8, categories=("main",)))
    assert (await sale.pick("x", ["A-2"])).code is Reserve.OK
    # 4-5 is closest but would leave seat 3 alone between 2 (taken) and 4; 3-4 and 5-6 are
    # as close as each other and leave no one alone: the first in the row's order wins.
    best = await sale.best("u1", 2)
    assert seat_ids(best) == ["A-3", "A-4"]
    await sale.check_conservation()


async def test_best_available_takes_an_orphan_only_when_nothing_else_fits(
    scripts: Scripts,
) -> None:
    sale = await SeatedSale(scripts).setup(grid_map(rows=1, per_row=5, categories=("main",)))
    assert (await sale.pick("x", ["A-1"])).code is Reserve.OK
    # 2-4 leaves 5 alone at the row's end, 3-5 leaves 2 alone: both orphan, the closest wins.
    assert seat_ids(await sale.best("u1", 3)) == ["A-2", "A-3", "A-4"]
    refused = await sale.best("u2", 2)
    assert (refused.code, refused.n1) == (Reserve.SOLD_OUT, 1)
    # Seats left, but none together.
    apart = await SeatedSale(scripts).setup(grid_map(rows=1, per_row=5, categories=("main",)))
    assert (await apart.pick("x", ["A-2", "A-4"])).code is Reserve.OK
    refused = await apart.best("u1", 2)
    assert (refused.code, refused.n1) == (Reserve.NO_ADJACENT, 3)


async def test_best_available_is_same_row_closest_to_the_front_centre(scripts: Scripts) -> None:
    sale = await SeatedSale(scripts).setup(grid_map(rows=4, per_row=10, categories=("main",)))
    first = seat_ids(await sale.best("u1", 4))
    assert first == ["A-4", "A-5", "A-6", "A-7"]
    # Row A has 1-3 and 8-10 left, at its ends: the middle of row B is closer to the front
    # centre (the distance is to the block's centre, across rows too).
    assert seat_ids(await sale.best("u2", 3)) == ["B-4", "B-5", "B-6"]
    # Two in row A would leave one of its three alone; B-7 and B-8 leave B-9 and B-10
    # together: the closest block that orphans no one.
    assert seat_ids(await sale.best("u3", 2)) == ["B-7", "B-8"]
    await sale.check_conservation()


async def test_best_available_categories_and_accessible_seats(scripts: Scripts) -> None:
    m = grid_map(rows=4, per_row=6, accessible=("A-1", "A-2"))
    sale = await SeatedSale(scripts).setup(m)
    assert all(s.startswith("C") for s in seat_ids(await sale.best("u1", 2, category="back")))
    plain = seat_ids(await sale.best("u2", 6))
    assert plain[0].startswith("B")  # row A has accessible seats: not offered unasked
    assert seat_ids(await sale.best("u3", 2, accessible=True)) == ["A-1", "A-2"]
    assert (await sale.best("u3", 1, accessible=True)).code is Reserve.NO_ADJACENT
    assert (await sale.best("u4", 1, category="vip")).code is Reserve.UNKNOWN_SEATS
    await sale.check_conservation()


async def test_each_seat_follows_its_hold(scripts: Scripts) -> None:
    sale = await SeatedSale(scripts).setup()
    a = await sale.pick("u1", ["A-1", "A-2"])
    b = await sale.pick("u2", ["B-1"])
    c = await sale.pick("u3", ["C-1", "C-2"])
    assert await sale.release(a.hold_id, "u1") == Release.RELEASED
    assert await sale.expire(b.hold_id) == (1, 1)
    assert await sale.convert(c.hold_id, "u3", ["C-1", "C-2"]) is Convert.CONVERTED
    states = await sale.check_conservation()
    assert (states["A-1"], states["B-1"]) == ("", "")
    assert states["C-1"] == states["C-2"] == f"s:{c.hold_id}"
    # A late payment retakes its own seats only when all are still free.
    assert await sale.convert(a.hold_id, "u1", ["A-1", "A-2"]) is Convert.RETAKEN
    assert (await sale.pick("u4", ["B-1"])).code is Reserve.OK
    assert await sale.convert(b.hold_id, "u2", ["B-1"]) is Convert.NO_SEATS
    states = await sale.check_conservation()
    assert states["A-1"] == f"s:{a.hold_id}"
    # Refunds free the sold seats, once.
    assert await sale.refund(c.hold_id, "u3", ["C-1", "C-2"]) is True
    assert await sale.refund(c.hold_id, "u3", ["C-1", "C-2"]) is False
    states = await sale.check_conservation()
    assert states["C-1"] == ""
    assert await sale.user_seats("u3") == 0


async def test_blocks_and_reimports_keep_held_and_sold_seats(scripts: Scripts) -> None:
    sale = await SeatedSale(scripts).setup(grid_map(rows=2, per_row=4))
    held = await sale.pick("u1", ["A-1"])
    assert await sale.block(["A-2", "A-1"]) == (Block.TAKEN, ["A-1"])
    assert await sale.block(["A-2", "A-3"]) == (Block.OK, ["A-2", "A-3"])
    assert await sale.block(["A-2"]) == (Block.OK, [])  # already blocked
    refused = await sale.pick("u2", ["A-3"])
    assert (refused.code, refused.seats) == (Reserve.SEATS_TAKEN, "A-3")
    assert await sale.block(["Z-1"]) == (Block.UNKNOWN, ["Z-1"])
    states = await sale.check_conservation()
    assert states["A-2"] == "b"
    assert await sale.block(["A-2"], block=False) == (Block.OK, ["A-2"])
    await sale.check_conservation()
    # A new map without the held seat is refused; one that keeps it is taken.
    smaller = grid_map(rows=1, per_row=4)
    smaller.seats = [s for s in smaller.seats if s.seat_id != "A-1"]
    code, in_use, _ = await sale.ss.load(sale.id, SECTION, smaller, list(await sale.states()))
    assert (code, in_use) == (Load.IN_USE, ["A-1"])
    code, _, capacity = await sale.ss.load(
        sale.id, SECTION, grid_map(rows=1, per_row=4), list(await sale.states())
    )
    assert (code, capacity) == (Load.OK, 4)
    states = await sale.check_conservation()
    assert (
        states == {"A-1": f"h:{held.hold_id}", "A-2": "", "A-3": "b", "A-4": ""}
        or states["A-1"] == f"h:{held.hold_id}"
    )


async def test_resale_of_a_seat_frees_it_and_a_withdrawal_sells_it_to_its_seller_again(
    scripts: Scripts,
) -> None:
    sale = await SeatedSale(scripts).setup()
    bought = await sale.pick("u1", ["B-3", "B-4"])
    assert await sale.convert(bought.hold_id, "u1", ["B-3", "B-4"]) is Convert.CONVERTED
    # Only a sold seat is listed: a free or held one is drift, and nothing moves.
    assert await sale.list_seat("l0", "B-5") is Listed.DRIFT
    held = await sale.pick("u2", ["C-1"])
    assert await sale.list_seat("l0", "C-1") is Listed.DRIFT
    assert (await sale.check_conservation())["B-5"] == ""
    assert await sale.list_seat("l1", "B-4") is Listed.LISTED
    assert await sale.list_seat("l1", "B-4") is Listed.ALREADY
    states = await sale.check_conservation()
    assert (states["B-3"], states["B-4"]) == (f"s:{bought.hold_id}", "")
    # Someone holds the listed seat: no withdrawal while they decide.
    taker = await sale.pick("u2", ["B-4"])
    assert taker.code is Reserve.OK
    assert await sale.withdraw_seat("l1", "B-4", bought.hold_id) is Withdrawn.IN_CHECKOUT
    assert await sale.release(taker.hold_id, "u2") == Release.RELEASED
    assert await sale.release(held.hold_id, "u2") == Release.RELEASED
    assert await sale.withdraw_seat("l1", "B-4", bought.hold_id) is Withdrawn.WITHDRAWN
    assert await sale.withdraw_seat("l1", "B-4", bought.hold_id) is Withdrawn.NOT_LISTED
    states = await sale.check_conservation()
    assert states["B-4"] == f"s:{bought.hold_id}"
    assert await sale.user_seats("u1") == 2


async def test_best_available_passes_over_rows_whose_count_cannot_fit_and_a_recount_heals(
    scripts: Scripts,
) -> None:
    """Each row's free count moves with its seats, and best available reads only rows whose
    count can fit the request: a count set wrong by hand hides its row (which is why every
    seat script keeps it, and reconcile recounts); the recount says how many rows were wrong
    and sets them right."""
    sale = await SeatedSale(scripts).setup(grid_map(rows=3, per_row=4))
    full = await sale.pick("u1", ["A-1", "A-2", "A-3", "A-4"])
    assert full.code is Reserve.OK
    await sale.check_conservation()
    got = await sale.best("u2", 2)
    assert seat_ids(got)[0].startswith("B-")
    await sale.check_conservation()
    assert await sale.release(got.hold_id, "u2") == Release.RELEASED
    rows_key = keys.seat_rows(sale.id)
    row_b = await sale.redis.hget(rows_key, f"{SECTION}/B-1")  # type: ignore[misc]
    await sale.redis.hset(rows_key, f"{SECTION}#{row_b}", 1)  # type: ignore[misc]
    hidden = await sale.best("u2", 2)
    assert seat_ids(hidden)[0].startswith("C-")
    assert await sale.release(hidden.hold_id, "u2") == Release.RELEASED
    assert await sale.ss.recount(sale.id, SECTION) == 1
    assert await sale.ss.recount(sale.id, SECTION) == 0
    await sale.check_conservation()
    again = await sale.best("u2", 2)
    assert seat_ids(again)[0].startswith("B-")
    await sale.check_conservation()


async def test_best_available_keeps_each_rows_choice_until_a_seat_of_the_row_moves(
    scripts: Scripts,
) -> None:
    """Best available keeps each row's best block (valid for the row's version, which every
    seat move of the row bumps), so a row nobody touched is not read again; a kept choice
    whose seats are not free after all (written here by hand) is not trusted: the choice is
    made again from the seats, and no seat is held twice."""
    sale = await SeatedSale(scripts).setup(grid_map(rows=3, per_row=4))
    rows_key = keys.seat_rows(sale.id)
    first = await sale.best("u1", 2)
    taken = seat_ids(first)
    ri = await sale.redis.hget(rows_key, f"{SECTION}/{taken[0]}")  # type: ignore[misc]
    kept = await sale.redis.hget(rows_key, f"{SECTION}@{ri}:2::n")  # type: ignore[misc]
    version = await sale.redis.hget(rows_key, f"{SECTION}~{ri}")  # type: ignore[misc]
    assert kept is not None
    assert not kept.startswith(f"{version},")  # the hold moved the row: its choice is stale
    second = await sale.best("u2", 2)
    assert set(seat_ids(second)).isdisjoint(taken)
    await sale.check_conservation()
    # A kept choice pointing at a held seat, at the row's current version: not trusted.
    other = await SeatedSale(scripts).setup(grid_map(rows=2, per_row=6))
    held = await other.pick("u1", ["A-3"])
    rows_key = keys.seat_rows(other.id)
    ri = await other.redis.hget(rows_key, f"{SECTION}/A-3")  # type: ignore[misc]
    version = await other.redis.hget(rows_key, f"{SECTION}~{ri}")  # type: ignore[misc]
    await other.redis.hset(rows_key, f"{SECTION}@{ri}:2::n", f"{version},3,0,0")  # type: ignore[misc]
    got = await other.best("u2", 2)
    assert got.code is Reserve.OK
    assert "A-3" not in seat_ids(got)
    states = await other.check_conservation()
    assert states["A-3"] == f"h:{held.hold_id}"


async def test_every_seat_move_bumps_its_rows_version(scripts: Scripts) -> None:
    """A row's kept best-available choice is valid for its version only: every script that
    frees or takes a seat of the row moves the version in the same call."""
    sale = await SeatedSale(scripts).setup(grid_map(rows=2, per_row=4))
    rows_key = keys.seat_rows(sale.id)

    async def version(seat: str) -> int:
        ri = await sale.redis.hget(rows_key, f"{SECTION}/{seat}")  # type: ignore[misc]
        return int(await sale.redis.hget(rows_key, f"{SECTION}~{ri}") or 0)  # type: ignore[misc]

    async def moves(seat: str, step: Any) -> None:
        before = await version(seat)
        await step
        assert await version(seat) > before, step

    picked = await sale.pick("u1", ["A-1"])
    await moves("A-1", sale.release(picked.hold_id, "u1"))
    expiring = await sale.pick("u1", ["A-2"])
    await moves("A-2", sale.expire(expiring.hold_id))
    await moves("B-1", sale.block(["B-1"]))
    await moves("B-1", sale.block(["B-1"], block=False))
    await moves("B-4", sale.pick("u2", ["B-4"]))
    paid = await sale.pick("u3", ["A-4"])
    assert await sale.convert(paid.hold_id, "u3", ["A-4"]) == Convert.CONVERTED
    await moves("A-4", sale.list_seat("l1", "A-4"))
    await moves("A-4", sale.withdraw_seat("l1", "A-4", paid.hold_id))
    await moves("A-4", sale.refund(paid.hold_id, "u3", ["A-4"]))
    await sale.check_conservation()
