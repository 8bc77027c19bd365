"""Bodies of the waiting-room endpoints (API.md QueueStatus) and the entrant export."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

State = Literal["prequeue", "waiting", "admitted", "expired", "closed", "phase_ended"]


class QueueStatus(msgspec.Struct, omit_defaults=True):
    state: State
    position: int
    ahead: int
    # null when the wait cannot be known honestly (paused, closed, not yet measured).
    eta_s: int | None
    poll_after_s: int
    admission_token: str | None = None
    admission_expires_at: datetime | None = None
    # The uncertainty of eta_s (present with it): [low, high] seconds, and how much
    # measured admission the estimate rests on (low / medium / high).
    eta_range_s: tuple[int, int] | None = None
    eta_confidence: Literal["low", "medium", "high"] | None = None
    # Opens GET …/queue/stream?token= from a browser's EventSource (no headers there).
    stream_token: str | None = None
    # Signed join receipt (app.queue.receipt): with GET …/room, the client bounds
    # the people ahead of it without a per-fan call. Present while in line.
    receipt: str | None = None
    # Chance (0..1) that seats are left when this fan's turn comes (waiting only).
    chance: float | None = None
    # In the pre-queue: when the room (the fan's sale phase) opens.
    opens_at: datetime | None = None


class Entrant(msgspec.Struct):
    user_id: str
    arrival: int


class EntrantExport(msgspec.Struct):
    """Everything needed to recompute the random_at_open order of the pre-queue."""

    event_id: str
    mode: str
    sealed: bool
    seed_sha256: str
    seed: str | None
    derivation: str
    entrants: list[Entrant]
