"""Bodies of the admission-control endpoints."""

from __future__ import annotations

from datetime import datetime

import msgspec

from waiting_room.control import Targets


class AdmissionSignals(msgspec.Struct):
    """The shop as the controller saw it at its last step (null: too few samples)."""

    hold_p99_ms: float | None = None
    hold_success: float | None = None
    payment_error_rate: float | None = None
    shoppers: int = 0


class AdmissionControl(msgspec.Struct):
    """`closed_loop` when targets are set: `batch` is what the room admits per interval now."""

    mode: str
    targets: Targets
    configured_batch: int
    batch: int
    admit_interval_s: int
    reason: str
    signals: AdmissionSignals
    updated_at: datetime | None = None
