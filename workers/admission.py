"""Admission cron: each second, every live event's room admits its due batch.

arq makes each cron tick a unique job across all workers, and admit_batch.lua
checks-and-sets the event's next admission time atomically, so however many
workers run, each event admits at most once per admit_interval_s.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from app.core import keys
from app.core.clock import now_ms
from app.core.metrics import ADMISSIONS, QUEUE_SKIPPED
from app.core.resources import Resources
from app.events.mirror import live_events
from app.phases import prequeue
from app.queue import service
from waiting_room import admission

log = logging.getLogger("onsale.worker.admission")

SHUFFLE_LOCK_MS = 10 * 60 * 1000


async def admission_tick(ctx: dict[str, Any]) -> dict[str, int]:
    """Run one admission step per live event; start the pre-queue draw when due."""
    res: Resources = ctx["resources"]
    admitted: dict[str, int] = {}
    for event_id in await live_events(res.redis):
        result = await admission.tick(res.scripts, event_id, now_ms())
        if result.outcome == "admitted":
            admitted[event_id] = result.admitted
            # inc(0) too: an open room's series exist before its first admission.
            ADMISSIONS.labels(event=event_id).inc(result.admitted)
            QUEUE_SKIPPED.labels(event=event_id).inc(result.skipped)
        elif result.outcome == "awaiting_shuffle":
            start_shuffle(ctx, event_id, result.phase_id)
    return admitted


def start_shuffle(ctx: dict[str, Any], event_id: str, phase_id: str = "") -> None:
    """Run the draw beside the tick, not inside it.

    arq leases every running job for the longest job timeout + 10 s, and a
    job whose worker died is retried only when that lease runs out; keeping
    every job short (a draw over a million entrants is not) keeps a crashed
    finalize job's retry within seconds. The Redis lock in shuffle_pre_queue
    still makes the draw run once across processes.
    """
    running: dict[str, asyncio.Task[int | None]] = ctx.setdefault("shuffles", {})
    name = f"{event_id}:{phase_id}"
    task = running.get(name)
    if task is not None and not task.done():
        return
    running[name] = asyncio.create_task(shuffle_pre_queue(ctx, event_id, phase_id))


async def wait_for_shuffles(ctx: dict[str, Any]) -> None:
    """Let the draws started by earlier ticks finish (tests, and a graceful stop)."""
    running: dict[str, asyncio.Task[int | None]] = ctx.get("shuffles", {})
    await asyncio.gather(*running.values(), return_exceptions=True)


def cancel_shuffles(ctx: dict[str, Any]) -> None:
    """On shutdown: stop draws in flight; the lock expires and another worker resumes."""
    for task in ctx.get("shuffles", {}).values():
        task.cancel()


async def shuffle_pre_queue(ctx: dict[str, Any], event_id: str, phase_id: str = "") -> int | None:
    """The seeded pre-queue draw of a random_at_open event, at open, or of a sale
    phase's own pre-queue at the phase's opening (idempotent).

    A lock keeps concurrent ticks of other workers from redoing a long draw;
    should a worker die mid-draw, the lock expires and the next tick resumes.
    """
    res: Resources = ctx["resources"]
    lock = keys.phase_shuffle_lock(event_id, phase_id) if phase_id else keys.shuffle_lock(event_id)
    if not await res.redis.set(lock, "1", nx=True, px=SHUFFLE_LOCK_MS):
        return None
    try:
        if phase_id:
            return await prequeue.shuffle(
                res.pool, res.redis, res.scripts, event_id, phase_id, now_ms()
            )
        return await service.shuffle_pre_queue(res.pool, res.redis, res.scripts, event_id, now_ms())
    finally:
        await res.redis.delete(lock)
