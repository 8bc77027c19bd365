"""A hypothesis state machine over every script that moves seats, against a real Redis.

Rules: reserve (with or without a discount code), release, expire, checkout (begin), abort,
checkout-expire, convert (in time and late), return, join the waiting list, offer returned
seats (a hold of the first waiting fan whose whole request fits), disable a code. A model
predicts every script's return code and every hold's amount; after every step the invariants
hold in Redis:

- conservation: available + held + sold = capacity;
- available >= 0;
- each user's seats = their live holds + their unreturned purchases <= max_per_user;
- held = seats of live holds, sold = seats of unreturned purchases;
- each code's uses = its live and sold holds (a refund keeps the use) <= its limit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis.stateful import Bundle, initialize, invariant, multiple, rule

from app.core import keys
from app.holds.scripts import Begin, Convert, Release, Reserve
from app.waitlist.scripts import Joined, Offered
from tests.lua.sale import Sale
from tests.support.machines import SaleCountsMachine, run_machine

CAPACITY = 8
MAX_PER_ORDER = 4
MAX_PER_USER = 5
USERS = ("u1", "u2", "u3")
LIVE = ("active", "checking_out")
PRICE = 1500  # tests.lua.sale's section price
# code -> (uses allowed, percent off, amount off, section it is for ('' any))
CODES = {
    "TWO": (2, 10, 0, ""),
    "ONE": (1, 0, 2000, ""),
    "ELSEWHERE": (3, 50, 0, "B"),
}


@dataclass
class Hold:
    hold_id: str
    user: str
    quantity: int
    state: str = "active"
    pi: str = ""
    returned: bool = False
    code: str = ""


class InventoryMachine(SaleCountsMachine):
    capacity = CAPACITY
    users = USERS
    max_per_user = MAX_PER_USER

    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.sale = Sale(self.scripts)
        self.model: dict[str, Hold] = {}
        self.pis = itertools.count(1)
        # The waiting list, in join order: (user, seats wanted).
        self.line: list[tuple[str, int]] = []
        self.disabled: set[str] = set()

    # --- the model ------------------------------------------------------------------------
    def seats_of(self, user: str) -> int:
        return sum(
            h.quantity
            for h in self.model.values()
            if h.user == user and (h.state in LIVE or (h.state == "converted" and not h.returned))
        )

    def held(self) -> int:
        return sum(h.quantity for h in self.model.values() if h.state in LIVE)

    def sold(self) -> int:
        return sum(
            h.quantity for h in self.model.values() if h.state == "converted" and not h.returned
        )

    def available(self) -> int:
        return CAPACITY - self.held() - self.sold()

    def code_uses(self, code: str) -> int:
        return sum(
            1
            for h in self.model.values()
            if h.code == code and (h.state in LIVE or h.state == "converted")
        )

    def new_pi(self) -> str:
        return f"pi_{next(self.pis)}"

    # --- rules ------------------------------------------------------------------------------
    @initialize()
    def setup(self) -> None:
        self.run(self.sale.setup(CAPACITY, max_per_order=MAX_PER_ORDER, max_per_user=MAX_PER_USER))
        for code, (uses, percent, amount, section) in CODES.items():
            self.run(
                self.sale.add_code(
                    code, max_uses=uses, percent=percent, amount=amount, section=section
                )
            )

    @rule(target=holds, user=st.sampled_from(USERS), quantity=st.integers(1, MAX_PER_ORDER + 1))
    def reserve(self, user: str, quantity: int) -> Any:
        if quantity > MAX_PER_ORDER:
            expected = Reserve.LIMIT_PER_ORDER
        elif self.seats_of(user) + quantity > MAX_PER_USER:
            expected = Reserve.LIMIT_PER_USER
        elif self.available() < quantity:
            expected = Reserve.SOLD_OUT
        else:
            expected = Reserve.OK
        code, hold_id = self.run(self.sale.reserve(user, quantity))
        assert code == expected
        if code != Reserve.OK:
            return multiple()
        self.model[hold_id] = Hold(hold_id, user, quantity)
        return hold_id

    @rule(
        target=holds,
        user=st.sampled_from(USERS),
        quantity=st.integers(1, MAX_PER_ORDER),
        code=st.sampled_from([*CODES, "NOPE"]),
    )
    def reserve_with_code(self, user: str, quantity: int, code: str) -> Any:
        rule = CODES.get(code)
        if self.seats_of(user) + quantity > MAX_PER_USER:
            expected = Reserve.LIMIT_PER_USER
        elif self.available() < quantity:
            expected = Reserve.SOLD_OUT
        elif rule is None or code in self.disabled:
            expected = Reserve.NO_SUCH_CODE
        elif rule[3]:
            expected = Reserve.CODE_NOT_APPLICABLE
        elif self.code_uses(code) >= rule[0]:
            expected = Reserve.CODE_EXHAUSTED
        else:
            expected = Reserve.OK
        out = self.run(self.sale.reserve_with(user, quantity, code))
        assert out.code is expected
        if out.code is not Reserve.OK:
            return multiple()
        assert rule is not None
        listed = PRICE * quantity
        off = listed * rule[1] // 100 if rule[1] else min(rule[2], listed)
        assert (out.amount_cents, out.discount_cents) == (listed - off, off)
        self.model[out.hold_id] = Hold(out.hold_id, user, quantity, code=code)
        return out.hold_id

    @rule(hold_id=holds, user=st.sampled_from(USERS))
    def late_payment_after_its_code_was_retaken(self, hold_id: str, user: str) -> None:
        """The race a late payment of a hold with a code meets: the hold expires, someone
        else holds with the same code (maybe its last use), then the payment comes."""
        h = self.model[hold_id]
        if not h.code or h.state != "active":
            return
        self.expire(hold_id)
        self.reserve_with_code(user, 1, h.code)
        self.convert(hold_id, other_payment=False)

    @rule(code=st.sampled_from(list(CODES)))
    def disable_code(self, code: str) -> None:
        self.run(self.sale.redis.hset(keys.discounts(self.sale.id), code + ":off", 1))  # type: ignore[misc]
        self.disabled.add(code)

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
        out = self.run(self.sale.expire(hold_id))
        if h.state == "active":
            assert out == [1, h.quantity]
            h.state = "expired"
        else:
            assert out == [0, 0]

    @rule(hold_id=holds)
    def checkout(self, hold_id: str) -> None:
        h = self.model[hold_id]
        pi = self.new_pi()
        began = self.run(self.sale.begin(hold_id, h.user, pi))
        if h.state == "active":
            assert began.code is Begin.BEGAN
            h.state, h.pi = "checking_out", pi
        elif h.state in ("checking_out", "converted"):
            assert began.code is Begin.ALREADY
            assert began.payment_intent_id == h.pi
        else:
            assert began.code is Begin.NOT_ACTIVE

    @rule(hold_id=holds)
    def abort(self, hold_id: str) -> None:
        h = self.model[hold_id]
        ok = self.run(self.sale.abort(hold_id, h.pi or "pi_none"))
        assert ok == (h.state == "checking_out")
        if ok:
            h.state = "active"

    @rule(hold_id=holds)
    def checkout_expire(self, hold_id: str) -> None:
        h = self.model[hold_id]
        ok = self.run(self.sale.expire_checkout(hold_id, h.pi or "pi_none"))
        assert ok == (h.state == "checking_out")
        if ok:
            h.state = "expired"

    @rule(hold_id=holds, other_payment=st.booleans())
    def convert(self, hold_id: str, other_payment: bool) -> None:
        h = self.model[hold_id]
        pi = self.new_pi() if other_payment or not h.pi else h.pi
        code = self.run(self.sale.convert(hold_id, pi, h.user, h.quantity))
        if h.state == "converted":
            assert code is (Convert.ALREADY if pi == h.pi else Convert.OTHER_PAYMENT)
        elif h.state in LIVE:
            if h.pi and pi != h.pi:
                assert code is Convert.OTHER_PAYMENT
            else:
                assert code is Convert.CONVERTED
                h.state, h.pi = "converted", pi
        elif self.available() < h.quantity:
            assert code is Convert.NO_SEATS
        elif self.seats_of(h.user) + h.quantity > MAX_PER_USER:
            assert code is Convert.OVER_LIMIT
        elif h.code and self.code_uses(h.code) >= CODES[h.code][0]:
            # A late payment never takes a use past the code's limit: it is refunded.
            assert code is Convert.NO_SEATS
        else:
            assert code is Convert.RETAKEN
            h.state, h.pi = "converted", pi

    @rule(hold_id=holds)
    def return_seats(self, hold_id: str) -> None:
        h = self.model[hold_id]
        if h.state != "converted":
            return
        returned_now = self.run(self.sale.return_seats(f"o-{hold_id}", h.user, h.quantity))
        assert returned_now is not h.returned
        h.returned = True

    @rule(user=st.sampled_from(USERS), quantity=st.integers(1, MAX_PER_ORDER + 1))
    def wait(self, user: str, quantity: int) -> None:
        if any(u == user for u, _ in self.line):
            expected = Joined.ALREADY
        elif quantity > MAX_PER_ORDER:
            expected = Joined.LIMIT_PER_ORDER
        elif self.seats_of(user) + quantity > MAX_PER_USER:
            expected = Joined.LIMIT_PER_USER
        elif self.available() >= quantity:
            expected = Joined.SEATS_AVAILABLE
        else:
            expected = Joined.JOINED
        assert self.run(self.sale.wait(user, quantity)) == expected
        if expected is Joined.JOINED:
            self.line.append((user, quantity))

    @rule(target=holds)
    def offer(self) -> Any:
        # The model's offer: first in line whose whole request fits the seats back now; a fan
        # whose request no longer fits the per-account limit leaves the line.
        expected: tuple[str, int] | None = None
        for user, quantity in list(self.line):
            if self.seats_of(user) + quantity > MAX_PER_USER:
                self.line.remove((user, quantity))
            elif self.available() >= quantity:
                expected = (user, quantity)
                self.line.remove((user, quantity))
                break
        made = self.run(self.sale.offer())
        if expected is None:
            assert made.code is Offered.NONE
            return multiple()
        assert made.code is Offered.OFFERED
        assert (made.user_id, made.quantity) == expected
        self.model[made.hold_id] = Hold(made.hold_id, expected[0], expected[1])
        return made.hold_id

    # The invariants: SaleCountsMachine's (counters and accounts against the model), and
    # each code's uses.
    @invariant()
    def code_uses_are_their_holds_within_the_limit(self) -> None:
        if not self.sale.session_id:
            return
        for code, (uses, *_) in CODES.items():
            used = self.run(self.sale.code_uses(code))
            assert used == self.code_uses(code)
            assert used <= uses


@pytest.mark.slow
def test_inventory_state_machine(redis_url: str) -> None:
    run_machine(InventoryMachine, redis_url, max_examples=150, steps=40)
