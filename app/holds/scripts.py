"""Every hold Lua script behind typed methods: KEYS built here, result codes as enums.

The scripts own every state change of a hold: reserve, release and expire
(the hold's own life), begin/abort/extend/expire checkout, convert (paid),
return_seats (refunded), adjust_capacity and restore_inventory (the
section's seats). Callers pass named values and get enums or small records.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import Any, NamedTuple

from app.core import keys
from app.core.ratelimit import Quota
from app.core.scripts import Scripts

# An ended hold's record stays readable in Redis this long (API: >= 24 h).
HOLD_RECORD_TTL_MS = 25 * 3600 * 1000
# KEYS[8] of reserve_seats when the request has no Idempotency-Key (never written).
_NO_IDEMPOTENCY_KEY = "-"


class Reserve(IntEnum):
    """Return codes of lua/reserve_seats.lua."""

    OK = 0
    NOT_ADMITTED = 1
    ADMISSION_EXPIRED = 2
    SALE_NOT_OPEN = 3
    NO_SUCH_EVENT = 4
    NO_SUCH_SECTION = 5
    LIMIT_PER_ORDER = 6
    LIMIT_PER_USER = 7
    SOLD_OUT = 8
    IDEMPOTENCY_CONFLICT = 9
    RATE_LIMITED = 10  # n1 = seconds until a hit is allowed again
    SEATS_TAKEN = 11  # seats = the picked seats not free
    NOT_SEATED = 12  # seats named on a section without a seat map
    UNKNOWN_SEATS = 13  # seats = picked ids not on the map ('' : an unknown category)
    NO_ADJACENT = 14  # best available found no block; n1 = seats available
    NO_SUCH_CODE = 15  # the discount code is unknown or disabled
    CODE_EXHAUSTED = 16  # every use of the discount code is taken; n1 = its uses
    CODE_NOT_APPLICABLE = 17  # the discount code is for another section or phase
    TYPE_REQUIRED = 18  # the section sells by ticket type; the hold named no type
    NO_SUCH_TYPE = 19  # seats = the unknown type
    TYPE_NOT_ON_SALE = 20  # seats = the type; n1 = 1 not open yet (n2 = opens, ms), 2 closed
    TYPE_LIMIT = 21  # seats = the type; n1 = its per-order limit
    TYPE_SOLD_OUT = 22  # seats = the type; n1 = its tickets left
    COMPANION_REQUIRED = 23  # seats = 'TYPE,COMPANION'


# Reserve by value without the Enum call's own lookup (the hot path's every reply).
_RESERVE_CODES = {code.value: code for code in Reserve}


class Release(IntEnum):
    """Return codes of lua/release_hold.lua."""

    RELEASED = 0
    NOT_FOUND = 1
    NOT_ACTIVE = 2
    ALREADY_ENDED = 3


class Adjust(IntEnum):
    """Return codes of lua/adjust_capacity.lua."""

    OK = 0
    NO_SUCH_SECTION = 1
    BELOW_COMMITTED = 2


class Begin(IntEnum):
    """Return codes of lua/begin_checkout.lua."""

    BEGAN = 1
    ALREADY = 2
    NOT_FOUND = -1
    NOT_OWNER = -2
    NOT_ACTIVE = -3
    EXPIRED = -4


class Convert(IntEnum):
    """Return codes of lua/convert_hold.lua."""

    CONVERTED = 1
    ALREADY = 2
    RETAKEN = 3
    NO_SEATS = -1
    OTHER_PAYMENT = -2
    OVER_LIMIT = -3  # late payment: the buyer's seats would pass max_per_user


class Reserved(NamedTuple):
    """What reserve_seats answered; n1, n2 are the figures of a refusal (see the Lua header).

    A NamedTuple: one per hold, on the hot path."""

    code: Reserve
    replayed: bool
    hold_id: str
    expires_at_ms: int
    amount_cents: int
    currency: str
    n1: int
    n2: int
    # A created seated hold: 'id<TAB>row<TAB>number' lines; a refusal: the seat ids named.
    seats: str = ""

    @property
    def discount_cents(self) -> int:
        """What a created hold's discount code took off its amount (minor units)."""
        return self.n2 if self.code is Reserve.OK else 0


class SeatRequest(NamedTuple):
    """The seats part of a hold request: a pick (seat ids) or best available."""

    mode: str  # "pick" or "best"
    seats: tuple[str, ...] = ()
    category: str = ""
    accessible: bool = False

    def args(self) -> list[str]:
        if self.mode == "pick":
            return ["pick", ",".join(self.seats), "0"]
        return ["best", self.category, "1" if self.accessible else "0"]


_GA_SEAT_ARGS = ["", "", "0"]


def lines_arg(lines: Sequence[tuple[str, int]]) -> str:
    """A hold's lines by ticket type as the scripts take them: 'TYPE:q,TYPE:q'."""
    return ",".join(f"{code}:{quantity}" for code, quantity in lines)


class DiscountRequest(NamedTuple):
    """The discount code a hold request names (upper case) and the admission's phase."""

    code: str
    phase_id: str = ""


@dataclass(frozen=True)
class Began:
    code: Begin
    payment_intent_id: str
    order_id: str
    checkout_deadline_ms: int


@dataclass(frozen=True)
class Adjusted:
    code: Adjust
    capacity: int
    available: int
    held: int
    sold: int


@lru_cache(maxsize=1024)
def _event_keys(event_id: str) -> tuple[str, str, str, str, str, str, str, str]:
    """The keys every hold of an event names (built once per event, not per hold)."""
    return (
        keys.event_meta(event_id),
        keys.inventory(event_id),
        keys.user_seats(event_id),
        keys.active_sessions(event_id),
        keys.hold_expiry(event_id),
        keys.hold_ends(event_id),
        keys.discounts(event_id),
        keys.ticket_types(event_id),
    )


class HoldScripts:
    """The hold scripts of one Redis client (use `hold_scripts(scripts)`)."""

    def __init__(self, scripts: Scripts) -> None:
        self._scripts = scripts
        self._reserve = scripts.get("reserve_seats")
        self._release = scripts.get("release_hold")
        self._expire = scripts.get("expire_holds")
        self._adjust = scripts.get("adjust_capacity")
        self._restore = scripts.get("restore_inventory")
        self._begin = scripts.get("begin_checkout")
        self._abort = scripts.get("abort_checkout")
        self._extend = scripts.get("extend_checkout")
        self._expire_checkout = scripts.get("expire_checkout")
        self._convert = scripts.get("convert_hold")
        self._return = scripts.get("return_seats")
        self._repair = scripts.get("repair_inventory")

    async def reserve(
        self,
        *,
        event_id: str,
        user_id: str,
        session_id: str,
        section: str,
        quantity: int,
        hold_id: str,
        idempotency: tuple[str, str] | None,
        now: int,
        idempotency_ttl_ms: int,
        account_quota: Quota | None = None,
        address_quota: Quota | None = None,
        seats: SeatRequest | None = None,
        discount: DiscountRequest | None = None,
        lines: Sequence[tuple[str, int]] = (),
    ) -> Reserved:
        """The hot path, batched: concurrent holds of this process share one round trip.

        `idempotency` is (key suffix, body fingerprint) of the request's
        Idempotency-Key, or None. The quotas (holds_account, holds_ip; None:
        off) are checked and counted by the script, before anything else.
        """
        scope, fingerprint = idempotency or (_NO_IDEMPOTENCY_KEY, "")
        quota_keys: list[str] = []
        quota_args: list[int] = []
        for quota in (account_quota, address_quota):
            if quota is None:
                quota_keys.append(keys.event_rate_limit(event_id, "-", "-"))  # never written
                quota_args += [0, 0]
            else:
                quota_keys.append(keys.event_rate_limit(event_id, quota.name, quota.identity))
                quota_args += [quota.limit, quota.window_ms]
        meta, inventory, user_seats, sessions, expiry, ends, discounts, types = _event_keys(
            event_id
        )
        raw = await self._scripts.call_batched(
            self._reserve,
            [
                meta,
                inventory,
                user_seats,
                sessions,
                keys.hold(event_id, hold_id),
                expiry,
                ends,
                keys.idempotency(event_id, "holds", scope),
                *quota_keys,
                keys.seat_states(event_id),
                keys.seat_info(event_id, section),
                keys.seat_plan(event_id, section),
                discounts,
                types,
                keys.seat_rows(event_id),
            ],
            [
                now,
                event_id,
                user_id,
                session_id,
                section,
                quantity,
                hold_id,
                fingerprint,
                idempotency_ttl_ms,
                HOLD_RECORD_TTL_MS,
                *quota_args,
                *(seats.args() if seats is not None else _GA_SEAT_ARGS),
                *(discount if discount is not None else ("", "")),
                lines_arg(lines),
            ],
        )
        code, replayed, hold_id, expires_at_ms, amount, currency, n1, n2 = raw[:8]
        seat_text = raw[8] if len(raw) > 8 else ""
        return Reserved(
            _RESERVE_CODES[int(code)],
            bool(replayed),
            str(hold_id),
            int(expires_at_ms),
            int(amount),
            str(currency),
            int(n1),
            int(n2),
            str(seat_text),
        )

    async def release(self, event_id: str, hold_id: str, *, user_id: str, now: int) -> Release:
        out = await self._scripts.call(
            self._release,
            [
                keys.hold(event_id, hold_id),
                keys.inventory(event_id),
                keys.user_seats(event_id),
                keys.hold_expiry(event_id),
                keys.hold_ends(event_id),
                keys.seat_states(event_id),
                keys.discounts(event_id),
                keys.ticket_types(event_id),
                keys.seat_rows(event_id),
            ],
            [now, user_id, HOLD_RECORD_TTL_MS],
        )
        return Release(int(out))

    async def expire(self, event_id: str, hold_ids: Sequence[str], now: int) -> tuple[int, int]:
        """(holds expired, seats returned) of these candidates; each is re-checked atomically."""
        expired, returned = await self._scripts.call(
            self._expire,
            [
                keys.hold_expiry(event_id),
                keys.inventory(event_id),
                keys.user_seats(event_id),
                keys.hold_ends(event_id),
                *(keys.hold(event_id, hold_id) for hold_id in hold_ids),
                keys.seat_states(event_id),
                keys.discounts(event_id),
                keys.ticket_types(event_id),
                keys.seat_rows(event_id),
            ],
            [now, HOLD_RECORD_TTL_MS, *hold_ids],
        )
        return int(expired), int(returned)

    async def adjust_capacity(self, event_id: str, section: str, delta: int) -> Adjusted:
        out = await self._scripts.call(self._adjust, [keys.inventory(event_id)], [section, delta])
        code, capacity, available, held, sold = (int(v) for v in out)
        return Adjusted(Adjust(code), capacity, available, held, sold)

    async def restore_inventory(
        self, event_id: str, hold_ids: Sequence[str], payload: dict[str, Any], now: int
    ) -> tuple[bool, int]:
        """(restored, live holds restored); nothing is written when the inventory exists."""
        code, holds = await self._scripts.call(
            self._restore,
            [
                keys.inventory(event_id),
                keys.user_seats(event_id),
                keys.hold_expiry(event_id),
                keys.checkouts(event_id),
                *(keys.hold(event_id, hold_id) for hold_id in hold_ids),
            ],
            [now, HOLD_RECORD_TTL_MS, json.dumps(payload)],
        )
        return int(code) == 1, int(holds)

    async def begin_checkout(
        self,
        event_id: str,
        hold_id: str,
        *,
        user_id: str,
        payment_intent_id: str,
        order_id: str,
        now: int,
    ) -> Began:
        out = await self._scripts.call(
            self._begin,
            [
                keys.hold(event_id, hold_id),
                keys.hold_expiry(event_id),
                keys.checkouts(event_id),
                keys.hold_ends(event_id),
            ],
            [hold_id, user_id, payment_intent_id, order_id, now],
        )
        return Began(Begin(int(out[0])), str(out[1]), str(out[2]), int(out[3]))

    async def abort_checkout(self, event_id: str, hold_id: str, payment_intent_id: str) -> bool:
        out = await self._scripts.call(
            self._abort,
            [keys.hold(event_id, hold_id), keys.hold_expiry(event_id), keys.checkouts(event_id)],
            [hold_id, payment_intent_id],
        )
        return int(out) == 1

    async def extend_checkout(
        self, event_id: str, hold_id: str, payment_intent_id: str, deadline_ms: int
    ) -> bool:
        out = await self._scripts.call(
            self._extend,
            [keys.hold(event_id, hold_id), keys.checkouts(event_id)],
            [hold_id, payment_intent_id, deadline_ms],
        )
        return int(out) == 1

    async def expire_checkout(
        self, event_id: str, hold_id: str, payment_intent_id: str, now: int
    ) -> bool:
        out = await self._scripts.call(
            self._expire_checkout,
            [
                keys.hold(event_id, hold_id),
                keys.inventory(event_id),
                keys.user_seats(event_id),
                keys.checkouts(event_id),
                keys.hold_expiry(event_id),
                keys.hold_ends(event_id),
                keys.seat_states(event_id),
                keys.discounts(event_id),
                keys.ticket_types(event_id),
                keys.seat_rows(event_id),
            ],
            [hold_id, payment_intent_id, now, HOLD_RECORD_TTL_MS],
        )
        return int(out) == 1

    async def convert(
        self,
        event_id: str,
        hold_id: str,
        *,
        payment_intent_id: str,
        order_id: str,
        user_id: str,
        section: str,
        quantity: int,
        now: int,
        seats: Sequence[str] = (),
        lines: str = "",
    ) -> Convert:
        # The concurrent finalize jobs of a worker share pipeline round trips (each script
        # still atomic, each job its own reply or error).
        out = await self._scripts.call_batched(
            self._convert,
            [
                keys.hold(event_id, hold_id),
                keys.inventory(event_id),
                keys.user_seats(event_id),
                keys.hold_expiry(event_id),
                keys.checkouts(event_id),
                keys.hold_ends(event_id),
                keys.event_meta(event_id),
                keys.seat_states(event_id),
                keys.discounts(event_id),
                keys.ticket_types(event_id),
                keys.seat_rows(event_id),
            ],
            [
                hold_id,
                payment_intent_id,
                order_id,
                user_id,
                section,
                quantity,
                now,
                HOLD_RECORD_TTL_MS,
                event_id,
                ",".join(seats),
                lines,
            ],
        )
        return Convert(int(out))

    async def return_seats(
        self,
        event_id: str,
        *,
        order_id: str,
        section: str,
        quantity: int,
        user_id: str,
        holders: Sequence[tuple[str, int]] = (),
        seats: Sequence[str] = (),
        lines: str = "",
    ) -> bool:
        """Refunded seats back on sale, once per order (False: returned before). `holders`:
        who held the tickets, when some were transferred (else all count for user_id);
        `lines`: the order's tickets by type ('TYPE:q,...'), given back to their types."""
        pairs = [value for holder, seats in holders for value in (holder, seats)]
        out = await self._scripts.call(
            self._return,
            [
                keys.inventory(event_id),
                keys.user_seats(event_id),
                keys.returned_orders(event_id),
                keys.seat_states(event_id),
                keys.ticket_types(event_id),
                keys.seat_rows(event_id),
            ],
            [order_id, section, quantity, user_id, ",".join(seats), lines, *pairs],
        )
        return int(out) == 1

    async def repair_inventory(
        self, event_id: str, section: str, *, capacity: int, sold: int, held: int
    ) -> bool:
        """The section's Redis figures from the record, if its holds did not move (drift rule)."""
        out = await self._scripts.call(
            self._repair,
            [keys.inventory(event_id), keys.hold_ends(event_id)],
            [section, capacity, sold, held],
        )
        return int(out) == 1


def hold_scripts(scripts: Scripts) -> HoldScripts:
    return scripts.view(HoldScripts)
