"""A discount code as the record keeps it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class DiscountRecord:
    discount_id: str
    event_id: str
    code: str
    percent_off: int | None
    amount_off_cents: int | None
    max_uses: int
    section: str | None
    phase_id: str | None
    disabled: bool
    created_at: datetime

    def rule_fields(self) -> dict[str, str | int]:
        """Its fields in the event's discount codes hash (lua/_discounts.lua), uses apart."""
        c = self.code + ":"
        kind, value = (
            ("percent", self.percent_off)
            if self.percent_off is not None
            else ("amount", self.amount_off_cents)
        )
        return {
            c + "kind": kind,
            c + "value": int(value or 0),
            c + "max": self.max_uses,
            c + "section": self.section or "",
            c + "phase": self.phase_id or "",
            c + "off": 1 if self.disabled else 0,
        }


def discount_from_row(row: asyncpg.Record) -> DiscountRecord:
    return DiscountRecord(
        discount_id=str(row["discount_id"]),
        event_id=str(row["event_id"]),
        code=row["code"],
        percent_off=row["percent_off"],
        amount_off_cents=row["amount_off_cents"],
        max_uses=row["max_uses"],
        section=row["section"],
        phase_id=str(row["phase_id"]) if row["phase_id"] else None,
        disabled=row["disabled_at"] is not None,
        created_at=row["created_at"],
    )
