"""Request and response bodies of ticket types (organizer editor, fan picker)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.core.rules import LINE

TypeCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
TypeState = Literal["on_sale", "sold_out", "not_yet", "closed"]


class TicketTypeIn(msgspec.Struct, forbid_unknown_fields=True):
    """`{code, name, price_cents, quota, max_per_order?, opens_at?, closes_at?, companion?}`:
    `quota` tickets of the section at most (the section's capacity still bounds the total);
    `companion`: another type of the section, one ticket of which every hold with this type
    needs (a child ticket needs an adult's)."""

    code: TypeCode
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80), LINE]
    price_cents: Annotated[int, msgspec.Meta(ge=0, le=100_000_000_000)]
    quota: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
    max_per_order: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    companion: TypeCode | None = None


class TicketType(msgspec.Struct, omit_defaults=True):
    section: str
    code: str
    name: str
    price_cents: int
    quota: int
    available: int  # tickets of it a fan can hold now (its quota's, within the section's)
    state: TypeState
    max_per_order: int = 0
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    companion: str | None = None
    held: int | None = None  # organizers only
    sold: int | None = None  # organizers only


class TicketTypeList(msgspec.Struct):
    currency: str
    items: list[TicketType]
