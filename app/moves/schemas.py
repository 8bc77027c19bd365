"""msgspec bodies of the ticket moves: the organizer's rules, transfers, resale, my tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.tickets.schemas import Rotation

Email = Annotated[
    str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
Seconds = Annotated[int, msgspec.Meta(ge=0, le=366 * 86400)]
TicketStatus = Literal["valid", "void", "transferred", "listed", "pending_transfer"]
Move = Literal["cancel", "transfer", "resale"]


class MoveRules(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What fans may do with an event's tickets; each move can be off (all are by default)."""

    cancel_enabled: bool = False
    # Cancel (refund to the card) until this many seconds before the event starts.
    cancel_until_s: Seconds = 86400
    transfer_enabled: bool = False
    # Transfers in one ticket's line (the first holder's and each receiver's).
    transfer_max_per_ticket: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1
    # No transfer offered or accepted within this many seconds before the event starts.
    transfer_cutoff_s: Seconds = 0
    resale_enabled: bool = False
    # Kept from each resold ticket's refund to its seller (minor units of the currency).
    resale_fee_cents: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 0


class TransferIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email


class TransferOut(msgspec.Struct):
    transfer_id: str
    state: Literal["pending", "accepted", "cancelled"]
    event_id: str = ""


class Accepted(msgspec.Struct):
    ticket_id: str
    code: str
    event_id: str = ""


class MySeat(msgspec.Struct):
    seat_id: str
    row: str
    number: str


class ListingOut(msgspec.Struct):
    listing_id: str
    price_cents: int
    currency: str
    state: Literal["listed", "withdrawn", "sold", "refunded"]
    # What the seller gets back when it sells (price minus the organizer's fee).
    payout_cents: int = 0
    event_id: str = ""
    # The reserved seat on sale (seated sections): the fan who buys it gets that seat.
    seat: MySeat | None = None


class OpenTransfer(msgspec.Struct):
    transfer_id: str
    to_email: str


class ListingState(msgspec.Struct):
    listing_id: str
    state: str


class MyTicket(msgspec.Struct):
    ticket_id: str
    order_id: str
    event_id: str
    event_name: str
    starts_at: datetime
    venue: str
    section: str
    section_name: str
    seq: int
    timezone: str
    # Empty once the ticket no longer admits its holder.
    code: str
    status: TicketStatus
    # The live code's TOTP parameters (only while the ticket gets in).
    rotation: Rotation | None = None
    void_reason: str | None = None
    transfer: OpenTransfer | None = None
    listing: ListingState | None = None
    # The moves the event's rules allow for this ticket right now.
    allowed: list[Move] = msgspec.field(default_factory=list)
    # The buyer's own ticket (only those can be cancelled or resold).
    bought: bool = True
    # The reserved seat, in a seated section.
    seat: MySeat | None = None
    # What a resale of it would list it for (its face value; a reserved seat: its category's).
    face_value_cents: int = 0
    # The name on the ticket, as its buyer gave it (if the event asks names).
    attendee_name: str = ""
    # The ticket type it was sold as (a section sold by type; its code if the type was
    # deleted since).
    type_name: str = ""


class IncomingTransfer(msgspec.Struct):
    transfer_id: str
    event_id: str
    event_name: str
    starts_at: datetime
    venue: str
    section: str
    seq: int
    from_email: str
    section_name: str = ""
    timezone: str = "UTC"


class MyTickets(msgspec.Struct):
    tickets: list[MyTicket]
    incoming: list[IncomingTransfer]


class MoveEntry(msgspec.Struct):
    """One move of an event, for the organizer's console."""

    kind: Literal["transfer", "resale", "cancel"]
    move_id: str
    ticket_id: str | None
    state: str
    from_email: str
    to_email: str | None
    amount_cents: int | None
    created_at: datetime
    ended_at: datetime | None
    payout_state: str | None = None


class MoveList(msgspec.Struct):
    items: list[MoveEntry]
