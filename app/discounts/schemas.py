"""Request and response bodies of discount codes (API.md: POST /events/{id}/discounts)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from app.core.rules import LINE

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


class DiscountIn(msgspec.Struct, forbid_unknown_fields=True):
    """`{code, percent_off? | amount_off_cents?, max_uses, section?, phase_id?}`: exactly one
    of percent_off and amount_off_cents (minor units of the event's currency, off the order)."""

    code: Code
    max_uses: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
    percent_off: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    amount_off_cents: Annotated[int, msgspec.Meta(ge=1, le=100_000_000_000)] | None = None
    section: Annotated[str, msgspec.Meta(min_length=1, max_length=32), LINE] | None = None
    phase_id: str | None = None


class Discount(msgspec.Struct, omit_defaults=True):
    discount_id: str
    code: str
    max_uses: int
    used: int
    disabled: bool = False
    percent_off: int | None = None
    amount_off_cents: int | None = None
    section: str | None = None
    phase_id: str | None = None
    created_at: datetime | None = None


class DiscountList(msgspec.Struct):
    items: list[Discount]
