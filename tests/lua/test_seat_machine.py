"""A hypothesis state machine over the seat operations of the hold scripts, on a real Redis:
pick, best available (with categories and accessible seats), release, expire, convert and
refund, on a small map with blocked seats; and resale of a sold seat: list (the seat back on
the map), buy it (any hold that takes the seat and converts: the sale takes exactly that
seat's listing, as the finalize transaction does), withdraw (the seat sold to its seller
again, unless someone holds it), the seller's payout (settle), and a refund of the seller's
order while a seat is listed. A model of every seat predicts each outcome; after every step:

- every seat is exactly one of free/held/sold/blocked, and the section's counters agree;
- no seat is in two holds, and a hold's seats are the ones it was given; a listed seat is
  free or another fan's hold's, never its seller's;
- each account's seats stay within max_per_user (a resold seat counts for its seller until
  the payout settles);
- best available never creates an orphan when an orphan-free block of free, eligible seats
  existed (checked against the model before the call), and otherwise takes none only when
  there is no block at all.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck
from hypothesis.stateful import Bundle, initialize, invariant, multiple, rule

from app.holds.moves import Listed, Withdrawn
from app.holds.scripts import Convert, Release, Reserve
from tests.support.machines import RedisMachine, run_machine
from tests.support.seats import SeatedSale, grid_map, seat_ids

ROWS, PER_ROW = 3, 6
MAX_PER_ORDER, MAX_PER_USER = 4, 5
USERS = ("u1", "u2", "u3")
SEATS = [f"{chr(65 + r)}-{n}" for r in range(ROWS) for n in range(1, PER_ROW + 1)]
ACCESSIBLE = ("A-1", "A-2")
BLOCKED = ("C-6",)


@dataclass
class Hold:
    hold_id: str
    user: str
    seats: list[str]
    state: str = "active"  # active, released, expired, converted, refunded
    # Sold seats no longer this hold's in Redis: listed for resale, or resold.
    away: set[str] = field(default_factory=set)


@dataclass
class Listing:
    listing_id: str
    seat: str
    hold_id: str  # the seller's hold (their order)
    seller: str
    state: str = "listed"  # listed, withdrawn, sold, refunded
    settled: bool = False


class SeatMachine(RedisMachine):
    holds = Bundle("holds")
    listings = Bundle("listings")

    def __init__(self) -> None:
        super().__init__()
        self.sale = SeatedSale(self.scripts)
        self.model: dict[str, Hold] = {}
        self.sales: dict[str, Listing] = {}
        self.ids = itertools.count(1)
        self.m = grid_map(ROWS, PER_ROW, categories=("front", "back"), accessible=ACCESSIBLE)

    # --- the model ------------------------------------------------------------------------
    def owner(self) -> dict[str, str]:
        """seat -> the hold that has it (held or sold)."""
        out = {}
        for h in self.model.values():
            if h.state in ("active", "converted"):
                for s in h.seats:
                    if s not in h.away:
                        out[s] = h.hold_id
        return out

    def free(self, seat: str) -> bool:
        return seat not in BLOCKED and seat not in self.owner()

    def resold(self, h: Hold, *, settled: bool | None = None) -> int:
        """The hold's seats sold on to another fan (only those whose payout is `settled`)."""
        return sum(
            1
            for x in self.sales.values()
            if x.hold_id == h.hold_id
            and x.state == "sold"
            and (settled is None or x.settled == settled)
        )

    def seats_of(self, user: str) -> int:
        """The account's count: its live holds' seats, its tickets (listed ones too), and its
        resold seats until their payout settles."""
        n = 0
        for h in self.model.values():
            if h.user != user:
                continue
            if h.state == "active":
                n += len(h.seats)
            elif h.state == "converted":
                n += len(h.seats) - self.resold(h, settled=True)
            elif h.state == "refunded":
                n += self.resold(h, settled=False)
        return n

    def open_listing(self, seat: str) -> Listing | None:
        return next(
            (x for x in self.sales.values() if x.seat == seat and x.state == "listed"), None
        )

    def sold_now(self, h: Hold) -> None:
        """A hold converted: the sale takes the open listings of exactly its seats."""
        h.state = "converted"
        for seat in h.seats:
            listing = self.open_listing(seat)
            if listing is not None:
                listing.state = "sold"

    def blocks(self, n: int, category: str, accessible: bool) -> list[tuple[list[str], bool]]:
        """Every block of n free, eligible seats next to each other in a row: (seats, orphan)."""
        by_id = {s.seat_id: s for s in self.m.seats}
        out = []
        for r in range(ROWS):
            row = [f"{chr(65 + r)}-{i}" for i in range(1, PER_ROW + 1)]
            free = [self.free(s) for s in row]
            for start in range(PER_ROW - n + 1):
                block = row[start : start + n]
                ok = all(
                    free[start + k]
                    and (not category or by_id[s].category == category)
                    and (by_id[s].accessible == accessible)
                    for k, s in enumerate(block)
                )
                if not ok:
                    continue
                left, right = start - 1, start + n
                orphan = (left >= 0 and free[left] and (left == 0 or not free[left - 1])) or (
                    right < PER_ROW
                    and free[right]
                    and (right == PER_ROW - 1 or not free[right + 1])
                )
                out.append((block, orphan))
        return out

    def taken_now(self, hold: Hold) -> None:
        self.model[hold.hold_id] = hold

    # --- rules ------------------------------------------------------------------------------
    @initialize()
    def setup(self) -> None:
        self.run(self.sale.setup(self.m, max_per_order=MAX_PER_ORDER, max_per_user=MAX_PER_USER))
        code, changed = self.run(self.sale.block(list(BLOCKED)))
        assert (code, changed) == (0, list(BLOCKED))

    @rule(
        target=holds,
        user=st.sampled_from(USERS),
        seats=st.lists(st.sampled_from(SEATS), min_size=1, max_size=MAX_PER_ORDER + 1, unique=True),
    )
    def pick(self, user: str, seats: list[str]) -> Any:
        taken = [s for s in seats if not self.free(s)]
        out = self.run(self.sale.pick(user, seats))
        if len(seats) > MAX_PER_ORDER:
            assert out.code is Reserve.LIMIT_PER_ORDER
        elif self.seats_of(user) + len(seats) > MAX_PER_USER:
            assert out.code is Reserve.LIMIT_PER_USER
        elif taken:
            assert out.code is Reserve.SEATS_TAKEN
            assert out.seats.split(",") == taken
        else:
            assert out.code is Reserve.OK
            assert seat_ids(out) == seats
            self.taken_now(Hold(out.hold_id, user, seats))
            return out.hold_id
        return multiple()

    @rule(
        target=holds,
        user=st.sampled_from(USERS),
        quantity=st.integers(1, 3),
        category=st.sampled_from(["", "front", "back"]),
        accessible=st.booleans(),
    )
    def best(self, user: str, quantity: int, category: str, accessible: bool) -> Any:
        blocks = self.blocks(quantity, category, accessible)
        available = sum(1 for s in SEATS if self.free(s))
        out = self.run(self.sale.best(user, quantity, category=category, accessible=accessible))
        if self.seats_of(user) + quantity > MAX_PER_USER:
            assert out.code is Reserve.LIMIT_PER_USER
            return multiple()
        if available < quantity:
            assert out.code is Reserve.SOLD_OUT
            return multiple()
        if not blocks:
            assert out.code is Reserve.NO_ADJACENT
            return multiple()
        assert out.code is Reserve.OK, out
        chosen = seat_ids(out)
        by_seats = {tuple(b): orphan for b, orphan in blocks}
        assert tuple(chosen) in by_seats, (chosen, blocks)
        if any(not orphan for _, orphan in blocks):
            assert not by_seats[tuple(chosen)], f"orphan made: {chosen} among {blocks}"
        self.taken_now(Hold(out.hold_id, user, chosen))
        return out.hold_id

    @rule(hold_id=holds)
    def release(self, hold_id: str) -> None:
        h = self.model[hold_id]
        code = self.run(self.sale.release(hold_id, h.user))
        if h.state == "active":
            assert code == Release.RELEASED
            h.state = "released"
        elif h.state in ("released", "expired"):
            assert code == Release.ALREADY_ENDED
        else:
            assert code == Release.NOT_ACTIVE

    @rule(hold_id=holds)
    def expire(self, hold_id: str) -> None:
        h = self.model[hold_id]
        expired, returned = self.run(self.sale.expire(hold_id))
        if h.state == "active":
            assert (expired, returned) == (1, len(h.seats))
            h.state = "expired"
        else:
            assert (expired, returned) == (0, 0)

    @rule(hold_id=holds)
    def convert(self, hold_id: str) -> None:
        h = self.model[hold_id]
        code = self.run(self.sale.convert(hold_id, h.user, h.seats))
        if h.state == "active":
            assert code is Convert.CONVERTED
            self.sold_now(h)
        elif h.state == "converted":
            assert code is Convert.ALREADY
        elif h.state in ("released", "expired"):
            # A late payment: enough seats left, within the limit, then its own seats free.
            available = sum(1 for s in SEATS if self.free(s))
            if available < len(h.seats):
                assert code is Convert.NO_SEATS
            elif self.seats_of(h.user) + len(h.seats) > MAX_PER_USER:
                assert code is Convert.OVER_LIMIT
            elif not all(self.free(s) for s in h.seats):
                assert code is Convert.NO_SEATS
            else:
                assert code is Convert.RETAKEN
                self.sold_now(h)
        else:  # refunded: the record says converted with this payment
            assert code is Convert.ALREADY

    @rule(hold_id=holds)
    def refund(self, hold_id: str) -> None:
        """The refund job: tickets voided but resold ones; seats back on sale but listed
        ones (already on sale: their listings close) and resold ones (their buyers')."""
        h = self.model[hold_id]
        if h.state != "converted":
            return
        back = [s for s in h.seats if s not in h.away]
        tickets = len(h.seats) - self.resold(h)
        assert self.run(self.sale.refund(hold_id, h.user, back, tickets)) is True
        assert self.run(self.sale.refund(hold_id, h.user, back, tickets)) is False
        h.state = "refunded"
        for x in self.sales.values():
            if x.hold_id == hold_id and x.state == "listed":
                x.state = "refunded"

    @rule(target=listings, hold_id=holds, pick=st.integers(0, MAX_PER_ORDER))
    def list_seat(self, hold_id: str, pick: int) -> Any:
        """The seller lists one of their valid, unlisted tickets (the service's guards)."""
        h = self.model[hold_id]
        mine = [s for s in h.seats if s not in h.away]
        if h.state != "converted" or not mine:
            return multiple()
        seat = mine[pick % len(mine)]
        listing_id = f"l{next(self.ids)}"
        assert self.run(self.sale.list_seat(listing_id, seat)) is Listed.LISTED
        assert self.run(self.sale.list_seat(listing_id, seat)) is Listed.ALREADY
        h.away.add(seat)
        self.sales[listing_id] = Listing(listing_id, seat, hold_id, h.user)
        return listing_id

    @rule(listing_id=listings)
    def withdraw(self, listing_id: str) -> None:
        x = self.sales[listing_id]
        if x.state not in ("listed", "withdrawn"):
            return  # sold or refunded: the record refuses before Redis is asked
        out = self.run(self.sale.withdraw_seat(listing_id, x.seat, x.hold_id))
        if x.state == "withdrawn":
            assert out is Withdrawn.NOT_LISTED
        elif not self.free(x.seat):
            assert out is Withdrawn.IN_CHECKOUT
        else:
            assert out is Withdrawn.WITHDRAWN
            x.state = "withdrawn"
            self.model[x.hold_id].away.discard(x.seat)

    @rule(listing_id=listings)
    def settle(self, listing_id: str) -> None:
        x = self.sales[listing_id]
        if x.state != "sold":
            return
        assert self.run(self.sale.settle(listing_id, x.seller)) is not x.settled
        x.settled = True

    # --- invariants ---------------------------------------------------------------------------
    @invariant()
    def seats_agree(self) -> None:
        states = self.run(self.sale.check_conservation())
        owner = self.owner()
        for seat in SEATS:
            if seat in BLOCKED:
                assert states[seat] == "b"
            elif seat in owner:
                h = self.model[owner[seat]]
                prefix = "h:" if h.state == "active" else "s:"
                assert states[seat] == prefix + h.hold_id, (seat, states[seat], h)
            else:
                assert states[seat] == "", (seat, states[seat])
        for user in USERS:
            assert self.run(self.sale.user_seats(user)) == self.seats_of(user) <= MAX_PER_USER

    @invariant()
    def listed_seats_are_not_their_sellers(self) -> None:
        owner = self.owner()
        for x in self.sales.values():
            if x.state == "listed":
                assert owner.get(x.seat) != x.hold_id, x


@pytest.mark.slow
def test_seat_machine(redis_url: str) -> None:
    run_machine(
        SeatMachine,
        redis_url,
        max_examples=40,
        steps=25,
        database=True,
        health_checks=(HealthCheck.too_slow, HealthCheck.filter_too_much),
    )
