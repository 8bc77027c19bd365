"""A hypothesis state machine over the seat operations of the hold scripts, on a real Redis:
pick, best available (with categories and accessible seats), release, expire, convert and
refund, on a small map with blocked seats. A model of every seat predicts each outcome;
after every step:

- every seat is exactly one of free/held/sold/blocked, and the section's counters agree;
- no seat is in two holds, and a hold's seats are the ones it was given;
- each account's seats stay within max_per_user;
- best available never creates an orphan when an orphan-free block of free, eligible seats
  existed (checked against the model before the call), and otherwise takes none only when
  there is no block at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from redis.asyncio import Redis

from app.core.redis import create_redis
from app.core.scripts import Scripts
from app.holds.scripts import Convert, Release, Reserve
from tests.support.seats import SeatedSale, grid_map, seat_ids

T = TypeVar("T")

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


class SeatMachine(RuleBasedStateMachine):
    redis_url = ""

    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.client: Redis = create_redis(self.redis_url, pool_size=4)
        self.sale = SeatedSale(Scripts(self.client))
        self.model: dict[str, Hold] = {}
        self.m = grid_map(ROWS, PER_ROW, categories=("front", "back"), accessible=ACCESSIBLE)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.client.aclose())
        self.loop.close()

    # --- the model ------------------------------------------------------------------------
    def owner(self) -> dict[str, str]:
        """seat -> the hold that has it (held or sold)."""
        out = {}
        for h in self.model.values():
            if h.state in ("active", "converted"):
                for s in h.seats:
                    out[s] = h.hold_id
        return out

    def free(self, seat: str) -> bool:
        return seat not in BLOCKED and seat not in self.owner()

    def seats_of(self, user: str) -> int:
        return sum(
            len(h.seats)
            for h in self.model.values()
            if h.user == user and h.state in ("active", "converted")
        )

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
            h.state = "converted"
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
                h.state = "converted"
        else:  # refunded: the record says converted with this payment
            assert code is Convert.ALREADY

    @rule(hold_id=holds)
    def refund(self, hold_id: str) -> None:
        h = self.model[hold_id]
        if h.state != "converted":
            return
        assert self.run(self.sale.refund(hold_id, h.user, h.seats)) is True
        h.state = "refunded"

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


@pytest.mark.slow
def test_seat_machine(redis_url: str) -> None:
    SeatMachine.redis_url = redis_url
    run_state_machine_as_test(
        SeatMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
