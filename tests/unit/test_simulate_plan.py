"""The simulator's pure decisions: how many fan processes, and when a fan asks for itself."""

from __future__ import annotations

import msgspec

from app.core.security import b64url
from app.queue.receipt import Receipt
from devtools.simulate import FanPlan, Fans, default_processes, peak_share, receipt_of


def test_the_simulator_leaves_the_server_a_core() -> None:
    # 20,000 fans on the 2-core machine: one process, not two that starve the API.
    assert default_processes(20_000, 2) == 1
    assert default_processes(20_000, 8) == 4
    assert default_processes(200_000, 8) == 7
    assert default_processes(10, 1) == 1


def _status(position: int, admitted_through: int) -> dict[str, object]:
    claim = Receipt("ev", position, admitted_through, 0)
    payload = b64url(msgspec.json.encode(claim))
    return {"state": "waiting", "receipt": f"r1.{payload}.sig"}


def _fans(room: dict[str, object]) -> Fans:
    plan = FanPlan(
        base_url="http://127.0.0.1:1", event_id="ev", sections={"FLOOR": 10}, abandon=0.0,
        concurrency=8, seed=1, started_at=0.0, near_front=50, own_every_s=0.0, parent_pid=1,
    )  # fmt: skip
    fans = Fans(plan, progress=None, stop=None)
    fans.room = room
    return fans


def test_a_fan_far_back_waits_on_the_room_and_asks_near_the_front() -> None:
    status = _status(position=10_000, admitted_through=0)
    assert receipt_of(status) == Receipt("ev", 10_000, 0, 0)
    # No admissions measured yet: one batch (50) is the lead.
    room = {"state": "open", "admitted_through": 9_900, "admit_rate_per_min": 0}
    assert not _fans(room).near_front(status)
    room["admitted_through"] = 9_960
    assert _fans(room).near_front(status)
    # At 600 admissions a minute (10/s), a fan sleeping ~5.5 s plus a 1 s-old snapshot
    # must ask 65 earlier, or it is reached while asleep and skipped as a no-show.
    room = {"state": "open", "admitted_through": 9_900, "admit_rate_per_min": 600}
    assert _fans(room).near_front(status)
    # Before the open and while paused nobody is admitted; a closed room only the fan's
    # own status explains; no receipt, no bound.
    assert not _fans({"state": "prequeue", "admitted_through": 0}).near_front(status)
    assert not _fans({"state": "paused", "admitted_through": 0}).near_front(status)
    assert _fans({"state": "closed", "admitted_through": 0}).near_front(status)
    assert _fans(room).near_front({"state": "waiting"})


def test_the_busiest_ten_seconds_show_a_bottleneck_the_average_hides() -> None:
    # 30 s of marks twice a second: idle, then 10 s at a full core, then idle again.
    marks, cpu = [], 0.0
    for i in range(61):
        t = i * 0.5
        marks.append((t, cpu))
        cpu += 0.5 if 10 <= t < 20 else 0.0
    assert peak_share(marks) >= 0.95
    assert cpu / 30 < 0.4
    assert peak_share(marks[:3]) == 0.0  # under half a window: no verdict
