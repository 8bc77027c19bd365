"""lua/gate_tick.lua on a real Redis, on simulated time: the standalone room's gate trips on
a slow or failing origin, lets its inlet through while queueing, clears only after a run of
healthy samples, drains the line in order and opens once the last fan is through."""

from __future__ import annotations

import msgspec

from app.core import keys
from app.core.scripts import Scripts
from app.core.settings import Settings
from app.gate import state

SETTINGS = Settings(
    gate_origin_url="http://origin.invalid/",
    gate_latency_ms=500,
    gate_error_rate=0.5,
    gate_window=3,
    gate_recover_samples=3,
    gate_admit_per_s=2.0,
    gate_drain_per_s=10.0,
)
T0 = 1_800_000_000_000


async def sample(
    scripts: Scripts,
    second: float,
    latency_ms: float,
    ok: bool = True,
    settings: Settings = SETTINGS,
) -> state.Gate:
    return await state.tick(scripts, settings, latency_ms, ok, T0 + int(second * 1000))


async def test_a_healthy_origin_keeps_the_gate_open_and_a_slow_one_trips_it(
    scripts: Scripts,
) -> None:
    for s in range(5):
        gate = await sample(scripts, s, 40)
        assert gate.state == "open"
    # One slow sample in a window of three is noise; two are the median.
    assert (await sample(scripts, 5, 900)).state == "open"
    gate = await sample(scripts, 6, 1000)
    assert gate.state == "queueing"
    assert gate.latency_ms == 900
    assert await state.read(scripts.redis) == gate


async def test_failures_trip_it_at_the_error_rate(scripts: Scripts) -> None:
    assert (await sample(scripts, 0, 20)).state == "open"
    assert (await sample(scripts, 1, 20)).state == "open"
    gate = await sample(scripts, 2, 5, ok=False)
    assert (gate.state, gate.error_permille) == ("open", 333)  # 1 of 3, under 500
    gate = await sample(scripts, 3, 5, ok=False)
    assert (gate.state, gate.error_permille) == ("queueing", 666)
    stricter = msgspec.structs.replace(SETTINGS, gate_error_rate=0.9)
    await scripts.redis.delete(keys.gate())
    for s in range(3):
        await sample(scripts, s, 20, settings=stricter)
    for s in (3, 4):
        assert (await sample(scripts, s, 5, ok=False, settings=stricter)).state == "open"
    assert (await sample(scripts, 5, 5, ok=False, settings=stricter)).state == "queueing"


async def test_queued_fans_go_in_at_the_inlet_then_drain_in_order_and_the_gate_opens(
    scripts: Scripts,
) -> None:
    await sample(scripts, 0, 900)
    assert (await sample(scripts, 1, 900)).state == "queueing"
    places = [await state.take_place(scripts.redis) for _ in range(30)]
    assert places == list(range(1, 31))
    # Queueing: the inlet lets 2 a second through, by the time passed, however many ticks.
    gate = await sample(scripts, 2, 900)
    assert (gate.state, gate.admitted) == ("queueing", 2)
    for s in (2.5, 2.75, 3.0):
        gate = await sample(scripts, s, 900)
    assert gate.admitted == 4
    assert state.standing(gate, 4, SETTINGS).through
    waiting = state.standing(gate, 10, SETTINGS)
    assert (waiting.through, waiting.position, waiting.ahead, waiting.eta_s) == (False, 6, 5, 3)
    # Healthy again: still queueing until three healthy samples in a row (one slow resets).
    await sample(scripts, 4, 30)
    await sample(scripts, 5, 30)
    assert (await sample(scripts, 6, 900)).state == "queueing"
    await sample(scripts, 7, 30)
    await sample(scripts, 8, 30)
    gate = await sample(scripts, 9, 30)
    assert gate.state == "draining"
    assert gate.admitted == 16  # the inlet's 2 a second until now
    # A fan arriving now queues behind the line, and draining goes 10 a second.
    late = await state.take_place(scripts.redis)
    assert late == 31
    gate = await sample(scripts, 10, 30)
    assert (gate.state, gate.admitted) == ("draining", 26)
    assert not state.standing(gate, late, SETTINGS).through
    gate = await sample(scripts, 11, 30)
    assert (gate.state, gate.admitted) == ("open", 31)
    assert state.standing(gate, None, SETTINGS).through
    # Open: the line is empty and stays so; a new alarm starts from there.
    await sample(scripts, 12, 900)
    gate = await sample(scripts, 13, 900)
    assert (gate.state, gate.seq, gate.admitted) == ("queueing", 31, 31)


async def test_an_inlet_of_zero_holds_everyone_until_the_origin_recovers(
    scripts: Scripts,
) -> None:
    shut = msgspec.structs.replace(SETTINGS, gate_admit_per_s=0.0)
    await sample(scripts, 0, 900, settings=shut)
    await sample(scripts, 1, 900, settings=shut)
    await state.take_place(scripts.redis)
    gate = await sample(scripts, 60, 900, settings=shut)
    assert (gate.state, gate.admitted) == ("queueing", 0)
    assert state.standing(gate, 1, shut).eta_s is None
