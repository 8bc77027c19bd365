"""Closed-loop admission of an event: targets, one controller step, the status shown."""

from __future__ import annotations

import asyncpg
import msgspec
from redis.asyncio import Redis

from app.admission import repo
from app.admission.schemas import AdmissionControl, AdmissionSignals
from app.core import keys, metrics
from app.core.clock import from_epoch_ms
from waiting_room import control
from waiting_room.control import Step, Targets


async def set_targets(redis: Redis, event_id: str, targets: Targets) -> None:
    await control.write_targets(redis, event_id, targets)
    if not targets.any():
        await redis.hdel(keys.queue_state(event_id), "ctl_batch")  # type: ignore[misc]


async def describe(redis: Redis, event_id: str) -> AdmissionControl:
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(keys.admission_control(event_id))
    pipe.hmget(keys.event_meta(event_id), ["wr_admit_batch_size", "wr_admit_interval_s"])
    ctl, (configured, interval) = await pipe.execute()
    targets = msgspec.json.decode(ctl["targets"], type=Targets) if "targets" in ctl else Targets()
    closed = targets.any()
    configured_batch = int(configured or 0)
    signals = (
        msgspec.json.decode(ctl["signals"], type=AdmissionSignals)
        if "signals" in ctl
        else AdmissionSignals()
    )
    updated = int(ctl.get("updated_ms", 0))
    return AdmissionControl(
        mode="closed_loop" if closed else "fixed",
        targets=targets,
        configured_batch=configured_batch,
        batch=min(configured_batch, int(ctl.get("batch", configured_batch)))
        if closed
        else configured_batch,
        admit_interval_s=int(interval or 0),
        reason=ctl.get("reason", "") if closed else "fixed batch (no targets)",
        signals=signals,
        updated_at=from_epoch_ms(updated) if updated else None,
    )


async def step(
    redis: Redis, event_id: str, now: int, window_ms: int = control.WINDOW_MS
) -> Step | None:
    """One controller step, exported as metrics."""
    result = await control.control_step(redis, event_id, now, window_ms)
    if result is None:
        return None
    metrics.ADMISSION_BATCH.labels(event=event_id).set(result.batch)
    raw = await redis.hget(keys.admission_control(event_id), "signals")  # type: ignore[misc]
    if raw:
        for name, value in msgspec.json.decode(raw).items():
            if value is not None:
                metrics.ADMISSION_SIGNAL.labels(event=event_id, signal=name).set(value)
    return result


async def refresh_odds(pool: asyncpg.Pool, redis: Redis, event_id: str) -> None:
    """The holds ledger's figures behind the chance of success (waiting_room/chance.py)."""
    row = await repo.hold_outcomes(pool, event_id)
    if not int(row["holds"]):
        return
    await redis.hset(  # type: ignore[misc]
        keys.admission_control(event_id),
        mapping={
            f"odds_{name}": int(row[name])
            for name in ("holds", "holders", "seats", "converted", "lapsed", "late_paid", "expired")
        },
    )
