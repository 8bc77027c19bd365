"""The phases' room schedule as mirrored into Redis, and which phase the room runs by."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.phases import room
from app.phases.model import PhaseRecord
from app.phases.schemas import PhaseRoomIn

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
MS = 60_000  # a minute


def _phase(pid: str, start_min: int, end_min: int, **settings: object) -> PhaseRecord:
    return PhaseRecord(
        phase_id=pid,
        event_id="e",
        name=pid,
        opens_at=T0 + timedelta(minutes=start_min),
        closes_at=T0 + timedelta(minutes=end_min),
        audience="everyone",
        sections=None,
        max_per_user=None,
        room=PhaseRoomIn(**settings),  # type: ignore[arg-type]
        registration_closes_at=None,
        codes_per_seat=1.0,
        seed="s",
        seed_sha256="h",
    )


def test_schedule_fields_and_order() -> None:
    general = _phase(
        "g", 60, 600, mode="random_at_open", prequeue_opens_at=T0 + timedelta(minutes=30)
    )
    presale = _phase("p", 0, 60, admit_batch_size=5, admit_interval_s=2)
    text = room.schedule([general, presale])
    t0 = int(T0.timestamp() * 1000)
    assert text.split(";") == [
        f"p,{t0},{t0 + 60 * MS},,,5,2",
        f"g,{t0 + 60 * MS},{t0 + 600 * MS},{t0 + 30 * MS},random_at_open,,",
    ]
    assert room.schedule([]) == ""


def test_the_room_runs_by_the_phase_open_now_else_the_next_pre_queue() -> None:
    t0 = int(T0.timestamp() * 1000)
    text = room.schedule(
        [
            _phase("p", 0, 60),
            _phase("m", 30, 90),  # another audience, overlapping: opened last, it leads
            _phase("g", 120, 600, prequeue_opens_at=T0 + timedelta(minutes=100)),
        ]
    )

    def at(minute: int) -> str | None:
        found = room.current(text, t0 + minute * MS)
        return found.phase_id if found else None

    assert at(-1) is None
    assert at(10) == "p"
    assert at(45) == "m"
    assert at(95) is None  # between phases: the event's own room
    assert at(110) == "g"  # the general sale's pre-queue
    assert at(130) == "g"
    assert at(600) is None
    assert room.current(None, t0) is None
