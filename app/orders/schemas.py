"""msgspec bodies of the order endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from app.core.rules import Line
from app.tickets.schemas import Rotation, TicketStatus

OrderStatus = Literal["pending", "confirmed", "refunded", "cancelled"]


class TicketSeat(msgspec.Struct):
    seat_id: str
    row: str
    number: str


class TicketOut(msgspec.Struct):
    ticket_id: str
    section: str
    code: str
    voided: bool = False
    seq: int = 0
    status: TicketStatus = "valid"
    # The live code's TOTP parameters: only in the holder's own reads (null for T1 codes).
    rotation: Rotation | None = None
    seat: TicketSeat | None = None  # the reserved seat, in a seated section
    attendee_name: str = ""  # the name the buyer gave this ticket (if the event asks)
    type: str | None = None  # the ticket type it was sold as (a section with types)
    type_name: str | None = None  # that type's name (its code when the type was deleted)


class Order(msgspec.Struct):
    order_id: str
    event_id: str
    status: OrderStatus
    amount_cents: int
    currency: str
    created_at: datetime
    tickets: list[TicketOut]
    section: str = ""
    quantity: int = 0
    hold_id: str = ""
    payment_intent_id: str | None = None
    confirmed_at: datetime | None = None
    cancel_reason: str | None = None


class OrderList(msgspec.Struct):
    items: list[Order]


class RefundIn(msgspec.Struct, kw_only=True):
    reason: Line | None = msgspec.field(default=None)
    # Put the refunded seats back on sale (default) or keep them off sale.
    return_seats: bool = True


class OrderStats(msgspec.Struct):
    orders_confirmed: int
    revenue_cents: int
    refunds: int
