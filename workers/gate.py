"""The standalone room's gate on cron: each second two measurements of the protected origin
(half a second apart), each moving the gate on (app/gate), when an origin is configured."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from app.core.clock import now_ms
from app.core.resources import Resources
from app.gate import probe, state

# Two samples a second: a slow origin fills a window of three within about 1.5 s, so fans
# are queued within a few seconds of the slowdown, not a few ticks later.
PROBES_PER_TICK = 2
SPACING_S = 0.5


async def gate_tick(ctx: dict[str, Any]) -> str:
    """Measure the origin; the gate's state after the last sample ("" without an origin)."""
    res: Resources = ctx["resources"]
    settings = res.settings
    if not settings.gate_origin_url:
        return ""
    gate = state.Gate()
    for n in range(PROBES_PER_TICK):
        started = time.monotonic()
        latency_ms, ok = await probe.measure(settings.gate_origin_url, settings.gate_latency_ms)
        gate = await state.tick(res.scripts, settings, latency_ms, ok, now_ms())
        if n + 1 < PROBES_PER_TICK:
            await asyncio.sleep(max(0.0, SPACING_S - (time.monotonic() - started)))
    return gate.state
