"""The standalone room's gate on cron: each second one measurement of the protected origin,
and the gate moved on (app/gate), when an origin is configured."""

from __future__ import annotations

from typing import Any

from app.core.clock import now_ms
from app.core.resources import Resources
from app.gate import probe, state


async def gate_tick(ctx: dict[str, Any]) -> str:
    """Measure the origin once; the gate's state after the sample ("" without an origin)."""
    res: Resources = ctx["resources"]
    settings = res.settings
    if not settings.gate_origin_url:
        return ""
    latency_ms, ok = await probe.measure(settings.gate_origin_url, settings.gate_latency_ms)
    gate = await state.tick(res.scripts, settings, latency_ms, ok, now_ms())
    return gate.state
