"""A ticket type of a section as the record keeps it, and its fields in Redis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from app.core.clock import to_epoch_ms


@dataclass(frozen=True)
class TicketTypeRecord:
    event_id: str
    section: str
    code: str
    name: str
    price_cents: int
    quota: int
    max_per_order: int  # 0: only the event's limit
    opens_at: datetime | None
    closes_at: datetime | None
    companion: str | None  # a type of the same section one ticket of which the hold needs
    position: int = 0

    def settings(self) -> list[str | int]:
        """Its settings as field, value pairs of the types hash (lua/_types.lua)."""
        return [
            "price",
            self.price_cents,
            "limit",
            self.max_per_order,
            "opens",
            to_epoch_ms(self.opens_at) if self.opens_at else 0,
            "closes",
            to_epoch_ms(self.closes_at) if self.closes_at else 0,
            "companion",
            self.companion or "",
            "name",
            self.name,
        ]


def type_from_row(row: asyncpg.Record) -> TicketTypeRecord:
    return TicketTypeRecord(
        event_id=str(row["event_id"]),
        section=row["section_code"],
        code=row["code"],
        name=row["name"],
        price_cents=row["price_cents"],
        quota=row["quota"],
        max_per_order=row["max_per_order"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        companion=row["companion"],
        position=row["position"],
    )
