"""msgspec bodies of scanner keys, check-in, check-in lists, conflicts, scanner grants and a
fan's tickets (ticket-contract.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.core.rules import LINE

# What a scan answers. Beyond the contract's six: "exited" / "not_inside" answer a scan
# out of a re-entry list, "wrong_list" a genuine ticket of a section this list leaves out.
Result = Literal[
    "admitted",
    "already_in",
    "void",
    "invalid",
    "wrong_event",
    "stale",
    "wrong_list",
    "exited",
    "not_inside",
]
LocalResult = Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[a-z_]{1,32}$")]
Direction = Literal["in", "out"]
Gate = Annotated[str, msgspec.Meta(min_length=1, max_length=64), LINE]
DeviceId = Annotated[str, msgspec.Meta(max_length=128), LINE]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
SectionCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
TicketStatus = Literal["valid", "void", "transferred", "listed", "pending_transfer"]


class ScannerKey(msgspec.Struct):
    kid: str
    alg: Literal["Ed25519"]
    public_key: str  # raw 32 bytes, base64url without padding
    not_before: datetime


class ScannerKeys(msgspec.Struct):
    keys: list[ScannerKey]


class RotateKeyIn(msgspec.Struct, forbid_unknown_fields=True):
    # Re-sign every ticket with the new key and stop publishing the old ones (a seed may
    # have leaked); printed static codes change too.
    retire_old: bool = False


class RotateKeyOut(msgspec.Struct):
    kid: str
    resigned: int
    keys: list[ScannerKey]


class CheckinIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    gate: Gate = "main"
    device_id: DeviceId = ""
    scanned_at: datetime | None = None
    direction: Direction = "in"
    list_id: str | None = None
    # The event the scanner is at; else the list's, else the code's own.
    event_id: str | None = None


class FirstEntry(msgspec.Struct):
    gate: str
    at: datetime


class CheckinOut(msgspec.Struct, omit_defaults=True):
    result: Result
    ticket_id: str | None = None
    section: str | None = None
    seq: int | None = None
    first: FirstEntry | None = None
    # The ticket is held by an unresolved offline conflict (refused until resolved).
    conflict: bool = False
    # The name on the ticket, for the door to compare; name_missing: the event requires
    # names and this ticket has none (it is admitted all the same: the door decides).
    attendee_name: str | None = None
    name_missing: bool = False


class OfflineScan(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    gate: Gate
    scanned_at: datetime
    local_result: LocalResult
    direction: Direction = "in"
    list_id: str | None = None


class SyncIn(msgspec.Struct, forbid_unknown_fields=True):
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128), LINE]
    scans: Annotated[list[OfflineScan], msgspec.Meta(max_length=1000)]
    list_id: str | None = None
    event_id: str | None = None


class SyncResult(msgspec.Struct, omit_defaults=True):
    result: Result
    conflict: bool
    ticket_id: str | None = None


class SyncOut(msgspec.Struct):
    results: list[SyncResult]
    checkin_data_version: int


class CheckinListIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120), LINE]
    sections: Annotated[list[SectionCode], msgspec.Meta(min_length=1, max_length=200)] | None = None
    reentry: bool = False


class GateCount(msgspec.Struct):
    gate: str
    admitted: int
    last_at: datetime | None


class CheckinList(msgspec.Struct):
    list_id: str
    event_id: str
    name: str
    sections: list[str] | None
    reentry: bool
    default: bool
    expected: int = 0
    inside: int = 0
    admitted: int = 0
    gates: list[GateCount] = msgspec.field(default_factory=list)


class CheckinLists(msgspec.Struct):
    lists: list[CheckinList]


class DataEvent(msgspec.Struct):
    event_id: str
    name: str
    starts_at: datetime


class DataList(msgspec.Struct):
    list_id: str
    name: str
    sections: list[str] | None
    reentry: bool


class DataTicket(msgspec.Struct):
    ticket_id: str
    section: str
    seq: int
    rotation_secret: str
    status: Literal["valid", "void"]
    inside: bool
    # The name on the ticket (the door compares it offline too); "" when none was given.
    attendee_name: str = ""


class CheckinData(msgspec.Struct):
    event: DataEvent
    keys: list[ScannerKey]
    static_codes: bool
    # "list" in JSON; another name here, so `list[...]` in this class stays the builtin.
    list_: DataList = msgspec.field(name="list")
    tickets: list[DataTicket] = msgspec.field(default_factory=list)
    version: int = 0
    generated_at: datetime | None = None
    step_s: int = 15
    digits: int = 6


class ConflictScan(msgspec.Struct):
    gate: str
    device_id: str
    at: datetime


class Conflict(msgspec.Struct):
    ticket_id: str
    section: str
    seq: int
    scans: list[ConflictScan]
    resolved: bool


class Conflicts(msgspec.Struct):
    conflicts: list[Conflict]


class Scanner(msgspec.Struct):
    email: str
    granted_at: datetime


class Scanners(msgspec.Struct):
    scanners: list[Scanner]


class ScannerEvent(msgspec.Struct):
    event_id: str
    name: str
    starts_at: datetime


class ScannerEvents(msgspec.Struct):
    events: list[ScannerEvent]


class Rotation(msgspec.Struct):
    secret: str  # base32, no padding
    step_s: int
    digits: int
