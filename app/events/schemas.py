"""Request and response bodies of the event endpoints (API.md EventIn / Event)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.core.rules import LINE

SectionCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300), LINE]
PositiveInt = Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
Mode = Literal["fifo", "random_at_open"]
Status = Literal["draft", "published", "paused", "ended"]


class SectionIn(msgspec.Struct, forbid_unknown_fields=True):
    code: SectionCode
    name: Text
    price_cents: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
    capacity: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]


class WaitingRoomIn(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool = True
    admit_batch_size: PositiveInt = 500
    admit_interval_s: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 10
    max_active_shoppers: PositiveInt = 5000
    session_ttl_s: Annotated[int, msgspec.Meta(ge=5, le=86_400)] = 900
    prequeue_opens_at: datetime | None = None
    mode: Mode = "fifo"


class EventIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Text
    venue: Text
    starts_at: datetime
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64), LINE]
    onsale_at: datetime
    offsale_at: datetime
    currency: Annotated[str, msgspec.Meta(min_length=3, max_length=3), LINE]
    sections: Annotated[list[SectionIn], msgspec.Meta(min_length=1, max_length=200)]
    hold_ttl_s: Annotated[int, msgspec.Meta(ge=1, le=86_400)] = 600
    max_per_order: Annotated[int, msgspec.Meta(ge=1, le=100)] = 6
    max_per_user: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 6
    waiting_room: WaitingRoomIn = msgspec.field(default_factory=WaitingRoomIn)
    # A printed or emailed static ticket code gets in; else only the app's rotating code.
    static_codes: bool = False
    # Buyers must have opened the verification link sent to their address before paying.
    require_verified_email: bool = False
    # The organization the event goes into (default: the caller's first one where it may
    # create events, or a new one of its own).
    org_id: Annotated[str, msgspec.Meta(max_length=36)] | msgspec.UnsetType = msgspec.UNSET


class EventPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Text | msgspec.UnsetType = msgspec.UNSET
    venue: Text | msgspec.UnsetType = msgspec.UNSET
    starts_at: datetime | msgspec.UnsetType = msgspec.UNSET
    timezone: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=64), LINE] | msgspec.UnsetType
    ) = msgspec.UNSET
    onsale_at: datetime | msgspec.UnsetType = msgspec.UNSET
    offsale_at: datetime | msgspec.UnsetType = msgspec.UNSET
    currency: Annotated[str, msgspec.Meta(min_length=3, max_length=3), LINE] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    sections: (
        Annotated[list[SectionIn], msgspec.Meta(min_length=1, max_length=200)] | msgspec.UnsetType
    ) = msgspec.UNSET
    hold_ttl_s: Annotated[int, msgspec.Meta(ge=1, le=86_400)] | msgspec.UnsetType = msgspec.UNSET
    max_per_order: Annotated[int, msgspec.Meta(ge=1, le=100)] | msgspec.UnsetType = msgspec.UNSET
    max_per_user: Annotated[int, msgspec.Meta(ge=1, le=1000)] | msgspec.UnsetType = msgspec.UNSET
    waiting_room: WaitingRoomIn | msgspec.UnsetType = msgspec.UNSET
    static_codes: bool | msgspec.UnsetType = msgspec.UNSET
    require_verified_email: bool | msgspec.UnsetType = msgspec.UNSET


class SectionOut(msgspec.Struct):
    code: str
    name: str
    price_cents: int
    capacity: int
    available: int
    seated: bool = False  # reserved seating: its seats at .../sections/{code}/seats


class WaitingRoomOut(msgspec.Struct):
    enabled: bool
    admit_batch_size: int
    admit_interval_s: int
    max_active_shoppers: int
    session_ttl_s: int
    prequeue_opens_at: datetime | None
    mode: Mode


class Fairness(msgspec.Struct):
    seed_sha256: str
    seed: str | None


class Event(msgspec.Struct):
    event_id: str
    organizer_id: str
    status: Status
    on_sale: bool
    name: str
    venue: str
    starts_at: datetime
    timezone: str
    onsale_at: datetime
    offsale_at: datetime
    currency: str
    hold_ttl_s: int
    max_per_order: int
    max_per_user: int
    sections: list[SectionOut]
    waiting_room: WaitingRoomOut
    fairness: Fairness
    static_codes: bool = False
    require_verified_email: bool = False
    org_id: str = ""
    # When the event was archived (null: it is in the lists).
    archived_at: datetime | None = None


class EventList(msgspec.Struct):
    items: list[Event]


class DuplicateIn(msgspec.Struct, forbid_unknown_fields=True):
    """A copy of an event: its name (default: the source's) and how many days every date
    moves (last year's event: 364 or 365)."""

    name: Text | msgspec.UnsetType = msgspec.UNSET
    shift_days: Annotated[int, msgspec.Meta(ge=-3660, le=3660)] = 0
