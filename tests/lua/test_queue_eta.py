"""The wait estimate of queue_status.lua is honest: null when it cannot be known (paused,
closed, unmeasured), the next tick for fans inside the free slots, otherwise the measured
rate with a range that widens when few admissions were measured."""

from __future__ import annotations

from app.core import keys
from app.core.clock import now_ms
from app.core.scripts import Scripts
from tests.lua.test_queue_scripts import Room, users

INTERVAL_S = 10


async def _room(scripts: Scripts, n: int) -> tuple[Room, list[str]]:
    room = await Room(scripts).setup(wr_admit_interval_s=INTERVAL_S)
    fans = users(n)
    for fan in fans:
        assert await room.join(fan) == 1
    return room, fans


def eta(raw: list[object]) -> tuple[int, int, int, int]:
    """(eta_s, low, high, confidence) as the script returns them."""
    return int(str(raw[3])), int(str(raw[7])), int(str(raw[8])), int(str(raw[9]))


async def test_unmeasured_open_room_has_no_eta(scripts: Scripts) -> None:
    room, fans = await _room(scripts, 3)
    # Open, but the admitter never ticked: nothing is measured, nothing promised.
    assert eta(await room.status(fans[0]))[0] == -1
    assert eta(await room.status(fans[2]))[0] == -1


async def test_fans_inside_the_free_slots_go_in_at_the_next_tick(scripts: Scripts) -> None:
    room, fans = await _room(scripts, 6)
    await room.tick()  # batch 2 of cap 3: 2 admitted, one slot left
    first_waiting = eta(await room.status(fans[2]))
    assert first_waiting[0] <= INTERVAL_S  # not 21-31 s for position 1
    assert first_waiting[1] == 0
    assert first_waiting[2] <= INTERVAL_S
    assert first_waiting[3] == 3  # high confidence


async def test_behind_the_free_slots_the_measured_rate_with_its_uncertainty(
    scripts: Scripts,
) -> None:
    room, fans = await _room(scripts, 8)
    await room.tick()
    wait, low, high, confidence = eta(await room.status(fans[5]))  # 3 ahead, 1 free slot
    # 2 admitted over one 10 s interval: 12 per minute; 3 more admissions needed.
    assert INTERVAL_S <= wait <= INTERVAL_S + 15 + 1
    assert low <= wait <= high
    assert high > wait  # two measured admissions: a wide range, said so
    assert confidence == 1
    farther = eta(await room.status(fans[7]))
    assert farther[0] > wait


async def test_paused_room_has_no_eta(scripts: Scripts) -> None:
    room, fans = await _room(scripts, 4)
    await room.tick()
    await scripts.redis.hset(keys.event_meta(room.id), "status", "paused")  # type: ignore[misc]
    assert eta(await room.status(fans[3]))[0] == -1


async def test_closed_room_has_no_eta(scripts: Scripts) -> None:
    room, fans = await _room(scripts, 4)
    await room.tick()
    await scripts.redis.hset(  # type: ignore[misc]
        keys.inventory(room.id), mapping={"B:available": 0, "B:held": 0}
    )
    raw = await room.status(fans[3])
    assert int(raw[0]) == 5  # closed
    assert eta(raw)[0] == -1


async def test_stalled_admitter_has_no_eta(scripts: Scripts) -> None:
    room, fans = await _room(scripts, 6)
    await room.tick()
    stale = now_ms() - 10 * INTERVAL_S * 1000
    await scripts.redis.hset(keys.queue_state(room.id), "last_tick_ms", stale)  # type: ignore[misc]
    assert eta(await room.status(fans[5]))[0] == -1


async def test_ticking_without_admissions_measures_nothing(scripts: Scripts) -> None:
    """The admitter ticks but has admitted nobody yet: behind the free slots, no estimate."""
    room = await Room(scripts).setup(wr_admit_interval_s=INTERVAL_S)
    await room.tick()  # nobody in line: a tick with zero admissions
    fans = users(4)
    for fan in fans:
        assert await room.join(fan) == 1
    assert eta(await room.status(fans[0]))[0] <= INTERVAL_S  # inside the next batch
    assert eta(await room.status(fans[3]))[0] == -1  # the rate rests on nothing
