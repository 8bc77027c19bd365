"""A hypothesis state machine over ticket types: every script that moves a typed hold's seats,
against a real Redis.

One general-admission section of 8 seats with three types whose quotas add up to more
(ADULT 5, at most 3 per order; CHILD 3, needs an ADULT in the hold; VIP 2). Rules: reserve
by lines, release, expire, checkout, abandoned checkout, convert (in time, late), refund
(return), and a quota change. A model predicts every return code and amount; after every
step, in Redis:

- per type: available + held + sold = quota, available >= 0, held and sold = the model's;
- per section: available + held + sold = capacity, held and sold = the model's (the
  section bounds the types together: their held and sold add up to the section's);
- each account's seats = the model's, within max_per_user.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis.stateful import Bundle, initialize, invariant, multiple, rule

from app.holds.scripts import Begin, Convert, Release, Reserve
from tests.lua.sale import Sale
from tests.support.machines import SaleCountsMachine, run_machine

CAPACITY = 8
MAX_PER_ORDER = 6
MAX_PER_USER = 7
USERS = ("u1", "u2", "u3")
LIVE = ("active", "checking_out")
# code -> (quota, price, per-order limit (0 = none), companion)
TYPES: dict[str, tuple[int, int, int, str]] = {
    "ADULT": (5, 3000, 3, ""),
    "CHILD": (3, 1200, 0, "ADULT"),
    "VIP": (2, 9900, 0, ""),
}

lines_strategy = st.lists(
    st.tuples(st.sampled_from(list(TYPES)), st.integers(1, 4)),
    min_size=1,
    max_size=3,
    unique_by=lambda line: line[0],
)


@dataclass
class Hold:
    hold_id: str
    user: str
    lines: list[tuple[str, int]]
    state: str = "active"
    pi: str = ""
    returned: bool = False
    quantity: int = field(init=False)

    def __post_init__(self) -> None:
        self.quantity = sum(q for _, q in self.lines)

    def of(self, code: str) -> int:
        return sum(q for t, q in self.lines if t == code)

    def text(self) -> str:
        return ",".join(f"{t}:{q}" for t, q in self.lines)


class TypeMachine(SaleCountsMachine):
    capacity = CAPACITY
    users = USERS
    max_per_user = MAX_PER_USER

    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.sale = Sale(self.scripts)
        self.model: dict[str, Hold] = {}
        self.quotas = {code: t[0] for code, t in TYPES.items()}
        self.pis = itertools.count(1)

    # --- the model ------------------------------------------------------------------------
    def _live(self, h: Hold) -> bool:
        return h.state in LIVE

    def _sold(self, h: Hold) -> bool:
        return h.state == "converted" and not h.returned

    def seats_of(self, user: str) -> int:
        return sum(
            h.quantity
            for h in self.model.values()
            if h.user == user and (self._live(h) or self._sold(h))
        )

    def held(self) -> int:
        return sum(h.quantity for h in self.model.values() if self._live(h))

    def sold(self) -> int:
        return sum(h.quantity for h in self.model.values() if self._sold(h))

    def type_held(self, code: str) -> int:
        return sum(h.of(code) for h in self.model.values() if self._live(h))

    def type_sold(self, code: str) -> int:
        return sum(h.of(code) for h in self.model.values() if self._sold(h))

    def type_available(self, code: str) -> int:
        return self.quotas[code] - self.type_held(code) - self.type_sold(code)

    def available(self) -> int:
        return CAPACITY - self.held() - self.sold()

    def expected(self, user: str, lines: list[tuple[str, int]]) -> Reserve:
        """reserve_seats's answer, in its order of checks."""
        quantity = sum(q for _, q in lines)
        if quantity > MAX_PER_ORDER:
            return Reserve.LIMIT_PER_ORDER
        if self.seats_of(user) + quantity > MAX_PER_USER:
            return Reserve.LIMIT_PER_USER
        counts = dict(lines)
        for code, q in lines:
            _, _, limit, companion = TYPES[code]
            if limit and q > limit:
                return Reserve.TYPE_LIMIT
            if companion and counts.get(companion, 0) < 1:
                return Reserve.COMPANION_REQUIRED
            if self.type_available(code) < q:
                return Reserve.TYPE_SOLD_OUT
        if self.available() < quantity:
            return Reserve.SOLD_OUT
        return Reserve.OK

    # --- rules ------------------------------------------------------------------------------
    @initialize()
    def setup(self) -> None:
        self.run(self.sale.setup(CAPACITY, max_per_order=MAX_PER_ORDER, max_per_user=MAX_PER_USER))
        for code, (quota, price, limit, companion) in TYPES.items():
            self.run(
                self.sale.add_type(code, quota=quota, price=price, limit=limit, companion=companion)
            )

    @rule(target=holds, user=st.sampled_from(USERS), lines=lines_strategy)
    def reserve(self, user: str, lines: list[tuple[str, int]]) -> Any:
        expected = self.expected(user, lines)
        out = self.run(self.sale.reserve_lines(user, lines))
        assert out.code is expected, (lines, out)
        if out.code is not Reserve.OK:
            return multiple()
        assert out.amount_cents == sum(TYPES[t][1] * q for t, q in lines)
        self.model[out.hold_id] = Hold(out.hold_id, user, lines)
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
        out = self.run(self.sale.expire(hold_id))
        if h.state == "active":
            assert out == [1, h.quantity]
            h.state = "expired"
        else:
            assert out == [0, 0]

    @rule(hold_id=holds)
    def checkout(self, hold_id: str) -> None:
        h = self.model[hold_id]
        pi = f"pi_{next(self.pis)}"
        began = self.run(self.sale.begin(hold_id, h.user, pi))
        if h.state == "active":
            assert began.code is Begin.BEGAN
            h.state, h.pi = "checking_out", pi
        elif h.state in ("checking_out", "converted"):
            assert began.code is Begin.ALREADY
        else:
            assert began.code is Begin.NOT_ACTIVE

    @rule(hold_id=holds)
    def checkout_expire(self, hold_id: str) -> None:
        h = self.model[hold_id]
        ok = self.run(self.sale.expire_checkout(hold_id, h.pi or "pi_none"))
        assert ok == (h.state == "checking_out")
        if ok:
            h.state = "expired"

    @rule(hold_id=holds)
    def convert(self, hold_id: str) -> None:
        """Paid: in time (held -> sold per type) or late (retaken only if every type and the
        section still have its tickets, within the account's limit)."""
        h = self.model[hold_id]
        pi = h.pi or f"pi_{next(self.pis)}"
        code = self.run(self.sale.convert(hold_id, pi, h.user, h.quantity, lines=h.text()))
        if h.state == "converted":
            assert code is Convert.ALREADY
        elif h.state in LIVE:
            assert code is Convert.CONVERTED
            h.state, h.pi = "converted", pi
        elif self.available() < h.quantity:
            assert code is Convert.NO_SEATS
        elif self.seats_of(h.user) + h.quantity > MAX_PER_USER:
            assert code is Convert.OVER_LIMIT
        elif any(self.type_available(t) < q for t, q in h.lines):
            assert code is Convert.NO_SEATS
        else:
            assert code is Convert.RETAKEN
            h.state, h.pi = "converted", pi

    @rule(hold_id=holds)
    def refund(self, hold_id: str) -> None:
        h = self.model[hold_id]
        if h.state != "converted":
            return
        now = self.run(self.sale.return_seats(f"o-{hold_id}", h.user, h.quantity, h.text()))
        assert now is not h.returned
        h.returned = True

    @rule(code=st.sampled_from(list(TYPES)), quota=st.integers(0, 6))
    def change_quota(self, code: str, quota: int) -> None:
        _, price, limit, companion = TYPES[code]
        out = self.run(
            self.sale.add_type(code, quota=quota, price=price, limit=limit, companion=companion)
        )
        committed = self.type_held(code) + self.type_sold(code)
        if quota < committed:
            assert out[0] == -1
        else:
            assert out[:2] == [1, quota - committed]
            self.quotas[code] = quota

    # --- the invariants per type (SaleCountsMachine checks the section and the accounts) ---
    @invariant()
    def each_type_is_conserved_and_matches_the_model(self) -> None:
        if not self.sale.session_id:
            return
        for code in TYPES:
            c = self.run(self.sale.type_counts(code))
            assert c["available"] + c["held"] + c["sold"] == c["quota"] == self.quotas[code]
            assert c["available"] >= 0
            assert c["held"] == self.type_held(code)
            assert c["sold"] == self.type_sold(code)


@pytest.mark.slow
def test_ticket_type_state_machine(redis_url: str) -> None:
    run_machine(TypeMachine, redis_url, max_examples=120, steps=40)
