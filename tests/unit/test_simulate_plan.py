"""The simulator's pure decisions: how many fan processes, and when a fan asks for itself."""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import msgspec

from app.core.security import b64url
from app.queue.receipt import Receipt
from devtools.simulate import (
    ROOM_EVERY_S,
    FanPlan,
    Fans,
    default_processes,
    peak_share,
    receipt_of,
)


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


def _parked_fans(n: int, room: dict[str, object]) -> Fans:
    plan = FanPlan(
        base_url="http://127.0.0.1:1", event_id="ev", sections={"FLOOR": 10}, abandon=0.0,
        concurrency=8, seed=1, started_at=0.0, near_front=50, own_every_s=0.0, parent_pid=1,
    )  # fmt: skip
    fans = Fans(plan, progress=None, stop=None, tokens=[f"token-{i}" for i in range(n)])
    fans.room = room
    return fans


async def test_parked_fans_wake_at_their_next_look_once_their_turn_nears() -> None:
    fans = _parked_fans(300, {"state": "open", "admitted_through": 0, "admit_rate_per_min": 0})
    woken: list[int] = []

    async def turn(i: int, status: object) -> None:
        woken.append(i)

    fans.guarded = turn  # type: ignore[method-assign]
    for i in range(300):
        fans.park(i, _status(position=i + 1, admitted_through=0))
    assert fans.parked == 300
    assert fans.tasks == set()
    now = time.monotonic()
    # Within a batch (50) of the front: due at their next look (≤ 5 s), not before.
    fans.wake(now)
    assert fans.parked == 250
    assert len(fans.looks) == 50
    assert all(now <= at < now + ROOM_EVERY_S for at, _ in fans.looks)
    fans.wake(now + ROOM_EVERY_S)
    await asyncio.sleep(0)
    assert sorted(woken) == list(range(50))
    assert not fans.looks
    # 100 more admitted: the next 100 places are near.
    fans.room = {**fans.room, "admitted_through": 100}
    fans.wake(now + ROOM_EVERY_S)
    assert fans.parked == 150
    assert len(fans.looks) == 100
    # Closed (no seat available or held): the fans far back stop without a call.
    fans.room = {**fans.room, "state": "closed"}
    fans.wake(now + ROOM_EVERY_S)
    assert fans.parked == 0
    assert fans.done == 150
    assert fans.out.counts["ended_closed_room"] == 150


async def test_fans_parked_before_the_open_ask_for_their_new_place_at_the_open() -> None:
    fans = _parked_fans(10, {"state": "prequeue", "admitted_through": 0})
    for i in range(10):
        fans.park(i, {"state": "prequeue", "receipt": None})
    fans.wake(time.monotonic())
    assert fans.parked == 10
    assert not fans.looks
    fans.room = {"state": "open", "admitted_through": 0, "admit_rate_per_min": 0}
    fans.wake(time.monotonic())
    assert fans.parked == 0
    assert len(fans.looks) == 10


def test_a_waiting_fan_costs_under_a_kilobyte_with_its_token() -> None:
    """What the simulator keeps per parked fan: its access token (272 characters, as the
    API issues them), its phase, its first chance and one heap entry."""
    n = 20_000
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tokens = [f"{i:08d}" + "x" * 264 for i in range(n)]
        fans = _parked_fans(0, {"state": "open", "admitted_through": 0})
        fans = Fans(fans.plan, progress=None, stop=None, tokens=tokens)
        fans.room = {"state": "open", "admitted_through": 0}
        for i in range(n):
            fans.park(i, _status(position=1_000 + i, admitted_through=0))
        per_fan = (tracemalloc.get_traced_memory()[0] - before) / n
    finally:
        tracemalloc.stop()
    assert fans.parked == n
    print(f"{per_fan:.0f} bytes per waiting fan")
    assert per_fan <= 1024, f"{per_fan:.0f} bytes per waiting fan"


async def test_a_fan_that_fails_unexpectedly_ends_the_run_loudly_not_silently() -> None:
    """An answer no fan app expects (or a bug) must not leave a fan that never ends: the
    process's run stops with that error, and the simulator names the failed process."""
    fans = _parked_fans(2, {"state": "open", "admitted_through": 0})

    async def broken(i: int, status: object) -> None:
        raise ValueError("not JSON")

    fans.follow = broken  # type: ignore[method-assign]
    await fans.guarded(0, None)
    assert fans.finished.is_set()
    assert isinstance(fans.crash, ValueError)
