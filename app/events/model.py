"""The event as the domain sees it, built from Postgres rows; no HTTP here."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

# An event in these statuses has its onsale machinery running (mirrored in Redis).
LIVE_STATUSES = ("published", "paused")


class WaitingRoomSettings(msgspec.Struct, frozen=True):
    enabled: bool = True
    admit_batch_size: int = 500
    admit_interval_s: int = 10
    max_active_shoppers: int = 5000
    session_ttl_s: int = 900
    prequeue_opens_at: datetime | None = None
    mode: str = "fifo"


class SectionRecord(msgspec.Struct, frozen=True):
    code: str
    name: str
    price_cents: int
    capacity: int
    sold: int
    seated: bool = False  # its seats come from a seat map (reserved seating)


class EventRecord(msgspec.Struct, frozen=True):
    event_id: str
    organizer_id: str
    status: str
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
    waiting_room: WaitingRoomSettings
    fairness_seed: str
    fairness_seed_sha256: str
    sections: tuple[SectionRecord, ...]
    # A printed or emailed static ticket code gets in (else only the app's rotating code).
    static_codes: bool = False
    # Buyers need a verified email address (the organizer's switch; off by default).
    require_verified_email: bool = False
    # The organization the event belongs to (its members' roles decide who may do what).
    org_id: str = ""
    # Set when archived: kept with its orders and tickets, out of the lists.
    archived_at: datetime | None = None

    def on_sale(self, now: datetime) -> bool:
        return self.status == "published" and self.onsale_at <= now < self.offsale_at

    def section(self, code: str) -> SectionRecord | None:
        for section in self.sections:
            if section.code == code:
                return section
        return None


def waiting_room_from_json(value: Any) -> WaitingRoomSettings:
    if isinstance(value, str):
        value = json.loads(value)
    return msgspec.convert(value, WaitingRoomSettings, strict=False)


def waiting_room_to_json(value: WaitingRoomSettings) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(value)
    return out


def event_from_rows(row: asyncpg.Record, sections: list[asyncpg.Record]) -> EventRecord:
    return EventRecord(
        event_id=str(row["event_id"]),
        organizer_id=str(row["organizer_id"]),
        status=row["status"],
        name=row["name"],
        venue=row["venue"],
        starts_at=row["starts_at"],
        timezone=row["timezone"],
        onsale_at=row["onsale_at"],
        offsale_at=row["offsale_at"],
        currency=row["currency"],
        hold_ttl_s=row["hold_ttl_s"],
        max_per_order=row["max_per_order"],
        max_per_user=row["max_per_user"],
        waiting_room=waiting_room_from_json(row["waiting_room"]),
        fairness_seed=row["fairness_seed"],
        fairness_seed_sha256=row["fairness_seed_sha256"],
        require_verified_email=row["require_verified_email"],
        sections=tuple(
            SectionRecord(
                code=s["code"],
                name=s["name"],
                price_cents=s["price_cents"],
                capacity=s["capacity"],
                sold=s["sold"],
                seated=bool(s.get("seated", False)),
            )
            for s in sections
        ),
        static_codes=bool(row.get("static_codes", False)),
        org_id=str(row["org_id"]),
        archived_at=row["archived_at"],
    )
