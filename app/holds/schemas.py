"""Request and response bodies of holds and capacity (API.md Hold), and section figures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.core.rules import LINE

HoldStatus = Literal["active", "checking_out", "converted", "released", "expired"]


class HoldIn(msgspec.Struct, forbid_unknown_fields=True):
    section: Annotated[str, msgspec.Meta(min_length=1, max_length=32), LINE]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100)]


class Hold(msgspec.Struct):
    hold_id: str
    event_id: str
    section: str
    quantity: int
    amount_cents: int
    currency: str
    status: HoldStatus
    expires_at: datetime


class CapacityIn(msgspec.Struct, forbid_unknown_fields=True):
    delta: Annotated[int, msgspec.Meta(ge=-10_000_000, le=10_000_000)]


class SectionStats(msgspec.Struct):
    code: str
    capacity: int
    available: int
    held: int
    sold: int
