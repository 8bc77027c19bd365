"""Bodies of the sale-phase endpoints (API.md: phases, codes, draws)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.core.rules import LINE
from app.events.schemas import SectionCode

Audience = Literal["everyone", "code", "list", "draw"]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120), LINE]
AccessCode = Annotated[str, msgspec.Meta(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class PhaseRoomIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The room's settings while this phase runs (unset: the event's own)."""

    prequeue_opens_at: datetime | None = None
    mode: Literal["fifo", "random_at_open"] | None = None
    admit_batch_size: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] | None = None
    admit_interval_s: Annotated[int, msgspec.Meta(ge=1, le=3600)] | None = None
    pow_difficulty: Annotated[int, msgspec.Meta(ge=0, le=32)] | None = None


class PhaseIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    opens_at: datetime
    closes_at: datetime
    audience: Audience
    sections: Annotated[list[SectionCode], msgspec.Meta(max_length=200)] | None = None
    max_per_user: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    room: PhaseRoomIn = msgspec.field(default_factory=PhaseRoomIn)
    # Draws: registration ends here (default: when the phase opens); codes per seat.
    registration_closes_at: datetime | None = None
    codes_per_seat: Annotated[float, msgspec.Meta(gt=0, le=100)] = 1.0


class PhaseFigures(msgspec.Struct):
    """codes: codes of the phase (for a draw, the codes sent to winners); redeemed: uses
    taken; winners: codes a draw sent; duplicates: registrations set aside (one per
    person); joined, admitted: fans in the room who entered in this phase; held, sold:
    their seats on hold and bought."""

    codes: int = 0
    redeemed: int = 0
    members: int = 0
    registrations: int = 0
    winners: int = 0
    duplicates: int = 0
    joined: int = 0
    admitted: int = 0
    held: int = 0
    sold: int = 0


class Phase(msgspec.Struct, omit_defaults=True):
    phase_id: str
    event_id: str
    name: str
    opens_at: datetime
    closes_at: datetime
    audience: Audience
    state: Literal["upcoming", "open", "closed"]
    sections: list[str] | None = None
    max_per_user: int | None = None
    room: PhaseRoomIn = msgspec.field(default_factory=PhaseRoomIn)
    registration_closes_at: datetime | None = None
    codes_per_seat: float = 1.0
    # The fairness proof of this phase: the seed's SHA-256 from creation on, the seed
    # itself once registration has closed (draws) or the phase has opened.
    seed_sha256: str = ""
    seed: str | None = None
    figures: PhaseFigures | None = None  # organizers only


class PhaseList(msgspec.Struct):
    items: list[Phase]


class CodesIn(msgspec.Struct, forbid_unknown_fields=True):
    count: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    uses: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 1


class CodesOut(msgspec.Struct):
    codes: list[str]


CsvText = Annotated[str, msgspec.Meta(max_length=20_000_000)]


class CodeImportIn(msgspec.Struct, forbid_unknown_fields=True):
    """Codes as a list, or as CSV text (first column, or a `code` column; a `uses`
    column sets the uses)."""

    codes: Annotated[list[AccessCode], msgspec.Meta(max_length=100_000)] | None = None
    csv: CsvText | None = None
    uses: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 1


class CodeImport(msgspec.Struct):
    imported: int
    skipped: int


class MembersIn(msgspec.Struct, forbid_unknown_fields=True):
    """The phase's whole member list (replaces the last one): emails, or CSV text with
    an `email` column (or emails in the first column)."""

    emails: (
        Annotated[
            list[Annotated[str, msgspec.Meta(max_length=254)]], msgspec.Meta(max_length=1_000_000)
        ]
        | None
    ) = None
    csv: CsvText | None = None


class Members(msgspec.Struct):
    members: int


class JoinIn(msgspec.Struct, forbid_unknown_fields=True):
    access_code: AccessCode | None = None


class RegistrationIn(msgspec.Struct, forbid_unknown_fields=True):
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    section: SectionCode | None = None


class Registration(msgspec.Struct, omit_defaults=True):
    phase_id: str
    # registered: waiting for the draw; won: a code; listed: on the list for unused codes;
    # duplicate: set aside, another account of the same person (phone, card) registered first.
    state: Literal["registered", "won", "listed", "duplicate"]
    quantity: int | None = None
    section: str | None = None
    code: str | None = None
    rank: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class DrawIn(msgspec.Struct, forbid_unknown_fields=True):
    # How many codes to send; default: seats of the phase's sections x codes_per_seat.
    codes: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] | None = None


class RefillIn(msgspec.Struct, forbid_unknown_fields=True):
    # How many codes to send from the list; default: as many as draw codes lie unused
    # (those are voided first).
    count: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] | None = None


class Refill(msgspec.Struct):
    voided: int
    issued: int


class DrawReport(msgspec.Struct, omit_defaults=True):
    """Everything needed to re-run a registration draw (`onsale phases verify-draw`)."""

    phase_id: str
    event_id: str
    seed_sha256: str
    derivation: str
    registration_closes_at: datetime | None
    drawn: bool
    seed: str | None = None
    registrations: int = 0
    registrations_sha256: str | None = None
    winners: int = 0
    registrants: list[str] | None = None
    order: list[str] | None = None


class PhaseEntrant(msgspec.Struct):
    user_id: str
    arrival: int


class PhaseEntrantExport(msgspec.Struct):
    """Everything needed to recompute a phase's own pre-queue order (random_at_open)."""

    phase_id: str
    event_id: str
    sealed: bool
    seed_sha256: str
    seed: str | None
    derivation: str
    entrants: list[PhaseEntrant]
