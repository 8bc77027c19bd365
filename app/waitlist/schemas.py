"""Bodies of the waiting-list endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.core.rules import LINE
from app.holds.schemas import HoldSeat

WaitlistState = Literal["waiting", "offered", "accepted", "lapsed"]


class WaitlistIn(msgspec.Struct, forbid_unknown_fields=True):
    section: Annotated[str, msgspec.Meta(min_length=1, max_length=32), LINE]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100)]


class WaitlistOffer(msgspec.Struct, omit_defaults=True):
    """The seats held for the fan: check out `hold_id` before `expires_at`."""

    hold_id: str
    section: str
    quantity: int
    amount_cents: int
    currency: str
    expires_at: datetime
    # A seated section's offer names its seats (side by side in one row), held for the offer.
    seats: list[HoldSeat] | None = None


class WaitlistStatus(msgspec.Struct, omit_defaults=True):
    """`waiting` (position in the list), `offered` (a live offer), `accepted` (in checkout
    or paid) or `lapsed` (the offer ran out or was released)."""

    state: WaitlistState
    section: str
    quantity: int
    position: int = 0
    offer: WaitlistOffer | None = None
