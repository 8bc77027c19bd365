"""A hypothesis state machine over a ticket's life after the sale, against a real Redis.

Rules: sell (reserve + convert; the sale takes the section's oldest open resale
listings, as the finalize transaction does), hold and release (a fan paying right
now), cancel (the buyer's whole order), refund (the organizer's, whatever moved),
transfer (transfer_seat), list (list_resale), withdraw (withdraw_resale), settle (the
resold seller's payout: settle_resale). The scripts are driven the way the services
drive them, with the service's own guards (the Postgres side) in the model. After
every step:

- conservation: available + held + sold = capacity, available >= 0;
- sold = valid tickets - open listings (a listed seat is back on sale);
- each account's count = its live holds + the valid tickets it holds + its resold
  tickets whose payout has not settled yet, and never over max_per_user;
- no ticket is valid twice: one valid row per seat line.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis.stateful import Bundle, initialize, invariant, multiple, rule

from app.holds.moves import Listed, Transferred, Withdrawn, move_scripts
from app.holds.scripts import Convert, Release, Reserve
from tests.lua.sale import SECTION, Sale
from tests.support.machines import SaleCountsMachine, run_machine

CAPACITY = 6
MAX_PER_ORDER = 3
MAX_PER_USER = 4
USERS = ("u1", "u2", "u3")


@dataclass
class Ticket:
    ticket_id: str
    order_id: str
    holder: str
    line: str  # the seat line it belongs to (a transfer continues the line)
    valid: bool = True
    listing: str = ""


@dataclass
class Order:
    order_id: str
    buyer: str
    tickets: list[str] = field(default_factory=list)
    refunded: bool = False


@dataclass
class Listing:
    listing_id: str
    ticket_id: str
    seller: str
    state: str = "listed"  # listed, withdrawn, sold, refunded
    settled: bool = False


class MovesMachine(SaleCountsMachine):
    capacity = CAPACITY
    users = USERS
    max_per_user = MAX_PER_USER

    orders = Bundle("orders")
    tickets = Bundle("tickets")
    listings = Bundle("listings")
    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.sale = Sale(self.scripts)
        self.moves = move_scripts(self.sale.scripts)
        self.model_orders: dict[str, Order] = {}
        self.model_tickets: dict[str, Ticket] = {}
        self.model_listings: dict[str, Listing] = {}
        self.live_holds: dict[str, tuple[str, int]] = {}
        self.hold_users: dict[str, str] = {}
        self.ids = itertools.count(1)

    def new(self, prefix: str) -> str:
        return f"{prefix}{next(self.ids)}"

    # --- the model ------------------------------------------------------------------------
    def open_listings(self) -> list[Listing]:
        return [x for x in self.model_listings.values() if x.state == "listed"]

    def sold(self) -> int:
        valid = sum(1 for t in self.model_tickets.values() if t.valid)
        return valid - len(self.open_listings())

    def held(self) -> int:
        return sum(q for _, q in self.live_holds.values())

    def available(self) -> int:
        return CAPACITY - self.held() - self.sold()

    def seats_of(self, user: str) -> int:
        holds = sum(q for u, q in self.live_holds.values() if u == user)
        valid = sum(1 for t in self.model_tickets.values() if t.valid and t.holder == user)
        unsettled = sum(
            1
            for x in self.model_listings.values()
            if x.state == "sold" and not x.settled and x.seller == user
        )
        return holds + valid + unsettled

    def reserve_expected(self, user: str, quantity: int) -> Reserve:
        if quantity > MAX_PER_ORDER:
            return Reserve.LIMIT_PER_ORDER
        if self.seats_of(user) + quantity > MAX_PER_USER:
            return Reserve.LIMIT_PER_USER
        if self.available() < quantity:
            return Reserve.SOLD_OUT
        return Reserve.OK

    # --- rules ------------------------------------------------------------------------------
    @initialize()
    def setup(self) -> None:
        self.run(self.sale.setup(CAPACITY, max_per_order=MAX_PER_ORDER, max_per_user=MAX_PER_USER))

    @rule(target=orders, user=st.sampled_from(USERS), quantity=st.integers(1, MAX_PER_ORDER))
    def sell(self, user: str, quantity: int) -> Any:
        expected = self.reserve_expected(user, quantity)
        code, hold_id = self.run(self.sale.reserve(user, quantity))
        assert code == expected
        if code != Reserve.OK:
            return multiple()
        order_id = self.new("o")
        converted = self.run(self.sale.convert(hold_id, self.new("pi_"), user, quantity, order_id))
        assert converted is Convert.CONVERTED
        order = Order(order_id, user)
        for _ in range(quantity):
            ticket_id = self.new("t")
            self.model_tickets[ticket_id] = Ticket(ticket_id, order_id, user, line=ticket_id)
            order.tickets.append(ticket_id)
        self.model_orders[order_id] = order
        # The confirming transaction takes the section's oldest open listings.
        for listing in self.open_listings()[:quantity]:
            listing.state = "sold"
            self.model_tickets[listing.ticket_id].valid = False
        return order_id

    @rule(target=holds, user=st.sampled_from(USERS), quantity=st.integers(1, 2))
    def hold(self, user: str, quantity: int) -> Any:
        expected = self.reserve_expected(user, quantity)
        code, hold_id = self.run(self.sale.reserve(user, quantity))
        assert code == expected
        if code != Reserve.OK:
            return multiple()
        self.live_holds[hold_id] = (user, quantity)
        self.hold_users[hold_id] = user
        return hold_id

    @rule(hold_id=holds)
    def release(self, hold_id: str) -> None:
        code = self.run(self.sale.release(hold_id, self.hold_users[hold_id]))
        if hold_id in self.live_holds:
            assert code == Release.RELEASED
            del self.live_holds[hold_id]
        else:
            assert code == Release.ALREADY_ENDED

    def _return(self, order: Order) -> None:
        """The refund job's Redis step: the seats the voided tickets held, per holder."""
        voided = [
            self.model_tickets[t] for t in self.all_tickets_of(order) if self.model_tickets[t].valid
        ]
        listed = [
            t for t in voided if t.listing and self.model_listings[t.listing].state == "listed"
        ]
        holders: dict[str, int] = {}
        for t in voided:
            holders[t.holder] = holders.get(t.holder, 0) + 1
        for t in voided:
            t.valid = False
        for t in listed:
            self.model_listings[t.listing].state = "refunded"
        seats = len(voided) - len(listed)
        returned = self.run(
            self.sale.hs.return_seats(
                self.sale.id,
                order_id=order.order_id,
                section=SECTION,
                quantity=seats,
                user_id=order.buyer,
                holders=sorted(holders.items()),
            )
        )
        assert returned
        order.refunded = True

    def all_tickets_of(self, order: Order) -> list[str]:
        return [t.ticket_id for t in self.model_tickets.values() if t.order_id == order.order_id]

    @rule(order_id=orders)
    def cancel(self, order_id: str) -> None:
        order = self.model_orders[order_id]
        tickets = [self.model_tickets[t] for t in self.all_tickets_of(order)]
        # The service's guard: nothing of the order moved, nothing on offer.
        if order.refunded or any(
            not t.valid
            or t.holder != order.buyer
            or (t.listing and self.model_listings[t.listing].state == "listed")
            for t in tickets
        ):
            return
        self._return(order)

    @rule(order_id=orders)
    def refund(self, order_id: str) -> None:
        order = self.model_orders[order_id]
        if order.refunded:
            again = self.run(
                self.sale.hs.return_seats(
                    self.sale.id,
                    order_id=order_id,
                    section=SECTION,
                    quantity=0,
                    user_id=order.buyer,
                )
            )
            assert again is False
            return
        self._return(order)

    @rule(target=tickets, order_id=orders, to=st.sampled_from(USERS), pick=st.integers(0, 5))
    def transfer(self, order_id: str, to: str, pick: int) -> Any:
        order = self.model_orders[order_id]
        valid = [
            self.model_tickets[t]
            for t in self.all_tickets_of(order)
            if self.model_tickets[t].valid
            and not (
                self.model_tickets[t].listing
                and self.model_listings[self.model_tickets[t].listing].state == "listed"
            )
        ]
        if not valid:
            return multiple()
        ticket = valid[pick % len(valid)]
        if ticket.holder == to:
            return multiple()
        move_id = self.new("x")
        over = self.seats_of(to) + 1 > MAX_PER_USER
        code, limit = self.run(self.moves.transfer(self.sale.id, move_id, ticket.holder, to))
        if over:
            assert (code, limit) == (Transferred.LIMIT_PER_USER, MAX_PER_USER)
            return multiple()
        assert code is Transferred.MOVED
        again, _ = self.run(self.moves.transfer(self.sale.id, move_id, ticket.holder, to))
        assert again is Transferred.ALREADY
        ticket.valid = False
        new_id = self.new("t")
        self.model_tickets[new_id] = Ticket(new_id, ticket.order_id, to, line=ticket.line)
        return new_id

    @rule(target=listings, order_id=orders, pick=st.integers(0, 5))
    def list_ticket(self, order_id: str, pick: int) -> Any:
        order = self.model_orders[order_id]
        mine = [
            self.model_tickets[t]
            for t in self.all_tickets_of(order)
            if self.model_tickets[t].valid
            and self.model_tickets[t].holder == order.buyer
            and not (
                self.model_tickets[t].listing
                and self.model_listings[self.model_tickets[t].listing].state == "listed"
            )
        ]
        if not mine:
            return multiple()
        ticket = mine[pick % len(mine)]
        listing_id = self.new("l")
        assert self.run(self.moves.list(self.sale.id, listing_id, SECTION)) is Listed.LISTED
        assert self.run(self.moves.list(self.sale.id, listing_id, SECTION)) is Listed.ALREADY
        self.model_listings[listing_id] = Listing(listing_id, ticket.ticket_id, order.buyer)
        ticket.listing = listing_id
        return listing_id

    @rule(listing_id=listings)
    def withdraw(self, listing_id: str) -> None:
        listing = self.model_listings[listing_id]
        if listing.state not in ("listed", "withdrawn"):
            return  # sold or refunded: the record refuses before Redis is asked
        out = self.run(self.moves.withdraw(self.sale.id, listing_id, SECTION))
        if listing.state == "withdrawn":
            assert out is Withdrawn.NOT_LISTED
        elif self.available() < 1:
            assert out is Withdrawn.IN_CHECKOUT
        else:
            assert out is Withdrawn.WITHDRAWN
            listing.state = "withdrawn"
            self.model_tickets[listing.ticket_id].listing = ""

    @rule(listing_id=listings)
    def settle(self, listing_id: str) -> None:
        listing = self.model_listings[listing_id]
        if listing.state != "sold":
            return
        settled_now = self.run(self.moves.settle(self.sale.id, listing_id, listing.seller))
        assert settled_now is not listing.settled
        listing.settled = True

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def one_valid_ticket_per_seat_line(self) -> None:
        lines = [t.line for t in self.model_tickets.values() if t.valid]
        assert len(lines) == len(set(lines))
        assert len(lines) <= CAPACITY


@pytest.mark.slow
def test_moves_state_machine(redis_url: str) -> None:
    run_machine(MovesMachine, redis_url, max_examples=120, steps=40)
