"""Bodies of the ops endpoints: health and an event's live Stats (API.md Stats)."""

from __future__ import annotations

import msgspec

from app.holds.schemas import SectionStats
from waiting_room.stats import QueueStats


class Health(msgspec.Struct):
    status: str
    checks: dict[str, str] = msgspec.field(default_factory=dict)


class Stats(msgspec.Struct):
    queue: QueueStats
    sections: list[SectionStats]
    holds_active: int
    orders_confirmed: int
    revenue_cents: int
    refunds: int
