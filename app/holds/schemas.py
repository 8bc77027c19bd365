"""Request and response bodies of holds and capacity (API.md Hold), and section figures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.core.rules import LINE

HoldStatus = Literal["active", "checking_out", "converted", "released", "expired"]


DiscountCode = Annotated[
    str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
]
SeatId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._~:@+-]+$")]


TypeCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


class HoldLineIn(msgspec.Struct, forbid_unknown_fields=True):
    """One line of a hold by ticket type: `{type, quantity}`."""

    type: TypeCode
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100)]


class HoldIn(msgspec.Struct, forbid_unknown_fields=True):
    """`{section, quantity}` (general admission; on a seated section: best available),
    `{section, seats: [seat_id, ...]}` (these seats, all or none) or `{section, quantity,
    best_available: true, category?, accessible?}`; on a section with ticket types
    `{section, lines: [{type, quantity}, ...]}` (quantity, if given, is their sum)."""

    section: Annotated[str, msgspec.Meta(min_length=1, max_length=32), LINE]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100)] = 0  # 0: the number of `seats`
    seats: Annotated[list[SeatId], msgspec.Meta(min_length=1, max_length=100)] | None = None
    best_available: bool = False
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=64), LINE] | None = None
    accessible: bool = False
    # A discount code of the event (API.md): checked with the hold, in the same script call.
    discount_code: DiscountCode | None = None
    # Lines by ticket type (a section with types): all checked in the hold's script call.
    lines: Annotated[list[HoldLineIn], msgspec.Meta(min_length=1, max_length=20)] | None = None


class HoldLine(msgspec.Struct):
    type: str
    quantity: int
    amount_cents: int  # the type's price times the quantity (before a discount code)


class HoldSeat(msgspec.Struct):
    seat_id: str
    row: str
    number: str


class Hold(msgspec.Struct, omit_defaults=True):
    hold_id: str
    event_id: str
    section: str
    quantity: int
    amount_cents: int
    currency: str
    status: HoldStatus
    expires_at: datetime
    seats: list[HoldSeat] | None = None  # a seated hold's seats, in the order taken
    discount_code: str | None = None  # the code that took amount_cents down
    discount_cents: int | None = None  # how much it took off (minor units)
    lines: list[HoldLine] | None = None  # its lines by ticket type (a section with types)


class CapacityIn(msgspec.Struct, forbid_unknown_fields=True):
    delta: Annotated[int, msgspec.Meta(ge=-10_000_000, le=10_000_000)]


class SectionStats(msgspec.Struct):
    code: str
    capacity: int
    available: int
    held: int
    sold: int
