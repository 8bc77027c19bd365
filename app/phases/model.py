"""A sale phase as stored, and which phase is open when."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from app.phases.schemas import PhaseRoomIn


class PhaseRecord(msgspec.Struct, frozen=True):
    phase_id: str
    event_id: str
    name: str
    opens_at: datetime
    closes_at: datetime
    audience: str
    sections: tuple[str, ...] | None
    max_per_user: int | None
    room: PhaseRoomIn
    registration_closes_at: datetime | None
    codes_per_seat: float
    seed: str
    seed_sha256: str

    def joinable(self, now: datetime) -> bool:
        """Open now, or in its pre-queue."""
        starts = self.room.prequeue_opens_at or self.opens_at
        return min(starts, self.opens_at) <= now < self.closes_at

    def state(self, now: datetime) -> str:
        if now < self.opens_at:
            return "upcoming"
        return "open" if now < self.closes_at else "closed"

    def registration_end(self) -> datetime:
        return self.registration_closes_at or self.opens_at

    def seed_revealed(self, now: datetime) -> bool:
        if self.audience == "draw":
            return now >= self.registration_end()
        return now >= self.opens_at


def phase_from_row(row: asyncpg.Record) -> PhaseRecord:
    room: Any = row["room"]
    if isinstance(room, str):
        room = json.loads(room)
    return PhaseRecord(
        phase_id=str(row["phase_id"]),
        event_id=str(row["event_id"]),
        name=row["name"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        audience=row["audience"],
        sections=tuple(row["sections"]) if row["sections"] is not None else None,
        max_per_user=row["max_per_user"],
        room=msgspec.convert(room or {}, PhaseRoomIn, strict=False),
        registration_closes_at=row["registration_closes_at"],
        codes_per_seat=float(row["codes_per_seat"]),
        seed=row["seed"],
        seed_sha256=row["seed_sha256"],
    )


def overlaps(a: PhaseRecord, b: PhaseRecord) -> bool:
    return a.opens_at < b.closes_at and b.opens_at < a.closes_at
