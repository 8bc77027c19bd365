"""Closed-loop admission: the batch per interval follows organizer targets by AIMD.

Every couple of seconds the controller compares the shop's signals with the
event's targets (hold p99 latency, hold success, payment error rate, shoppers
at once). Any target missed: the batch halves (multiplicative decrease), so
an overloaded shop gets relief within one or two steps. All targets met: the
batch grows by a tenth of the configured batch (additive increase), up to the
organizer's `admit_batch_size`, which stays the ceiling. The batch is written
to the room's state hash, where lua/admit_batch.lua reads it (`ctl_batch`).
With no targets set, the field is removed and admission is the fixed batch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Annotated

import msgspec
from redis.asyncio import Redis

from app.core import keys

WINDOW_MS = 10_000
MIN_HOLD_SAMPLES = 20
MIN_PAYMENT_SAMPLES = 10
DECREASE = 0.5
INCREASE_SHARE = 0.1


class Targets(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """What the organizer wants of the shop; unset targets are not steered on."""

    hold_p99_ms: Annotated[float, msgspec.Meta(gt=0)] | None = None
    hold_success_min: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None
    payment_error_max: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None
    max_shoppers: Annotated[int, msgspec.Meta(ge=1)] | None = None

    def any(self) -> bool:
        return any(v is not None for v in msgspec.structs.astuple(self))


@dataclass(frozen=True)
class Signals:
    hold_p99_ms: float | None
    hold_success: float | None
    payment_error_rate: float | None
    shoppers: int


@dataclass(frozen=True)
class Step:
    batch: int
    reason: str


def p99(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


def decide(targets: Targets, signals: Signals, batch: int, ceiling: int) -> Step:
    """One AIMD step from the current batch (pure: the tests' way in)."""
    missed = []
    p99_ms, success, errors = signals.hold_p99_ms, signals.hold_success, signals.payment_error_rate
    if targets.hold_p99_ms is not None and p99_ms is not None and p99_ms > targets.hold_p99_ms:
        missed.append("hold_p99")
    if (
        targets.hold_success_min is not None
        and success is not None
        and success < targets.hold_success_min
    ):
        missed.append("hold_success")
    if (
        targets.payment_error_max is not None
        and errors is not None
        and errors > targets.payment_error_max
    ):
        missed.append("payment_errors")
    if targets.max_shoppers is not None and signals.shoppers > targets.max_shoppers:
        missed.append("shoppers")
    if missed:
        return Step(max(1, math.floor(batch * DECREASE)), "decrease: " + ",".join(missed))
    grown = min(ceiling, batch + max(1, math.ceil(ceiling * INCREASE_SHARE)))
    return Step(grown, "increase" if grown > batch else "at ceiling")


async def read_targets(redis: Redis, event_id: str) -> Targets:
    raw = await redis.hget(keys.admission_control(event_id), "targets")  # type: ignore[misc]
    return msgspec.json.decode(raw, type=Targets) if raw else Targets()


async def write_targets(redis: Redis, event_id: str, targets: Targets) -> None:
    await redis.hset(  # type: ignore[misc]
        keys.admission_control(event_id), "targets", msgspec.json.encode(targets).decode()
    )


async def read_signals(
    redis: Redis, event_id: str, now: int, prev: dict[str, str], window_ms: int = WINDOW_MS
) -> tuple[Signals, dict[str, int]]:
    """Signals since the previous step (at least the last window), and the counters to keep.

    Samples reach back to the previous step even when it was longer ago than
    the window, so a step on a slow, sparse shop still sees every hold since.
    """
    pipe = redis.pipeline(transaction=False)
    pipe.lrange(keys.admission_latencies(event_id), 0, -1)
    pipe.hgetall(keys.admission_signals(event_id))
    pipe.zcard(keys.active_sessions(event_id))
    samples, counts, shoppers = await pipe.execute()
    since = int(prev.get("updated_ms", 0))
    cutoff = min(now - window_ms, since) if since else now - window_ms
    latencies = []
    for entry in samples:
        at, _, us = entry.partition(":")
        if int(at) > cutoff:
            latencies.append(int(us) / 1000)
    totals = {k: int(v) for k, v in counts.items()}

    def delta(name: str) -> int:
        return totals.get(name, 0) - int(prev.get("prev_" + name, 0))

    ok, failed = delta("hold_ok"), delta("hold_failed")
    pay_ok, pay_failed = delta("pay_ok"), delta("pay_failed")
    signals = Signals(
        hold_p99_ms=p99(latencies) if len(latencies) >= MIN_HOLD_SAMPLES else None,
        hold_success=ok / (ok + failed) if ok + failed >= MIN_HOLD_SAMPLES else None,
        payment_error_rate=(
            pay_failed / (pay_ok + pay_failed)
            if pay_ok + pay_failed >= MIN_PAYMENT_SAMPLES
            else None
        ),
        shoppers=int(shoppers),
    )
    return signals, totals


async def control_step(
    redis: Redis, event_id: str, now: int, window_ms: int = WINDOW_MS
) -> Step | None:
    """One controller step of an event; None when it has no targets (fixed admission)."""
    ctl_key = keys.admission_control(event_id)
    ctl: dict[str, str] = await redis.hgetall(ctl_key)  # type: ignore[misc]
    targets = msgspec.json.decode(ctl["targets"], type=Targets) if "targets" in ctl else Targets()
    if not targets.any():
        await redis.hdel(keys.queue_state(event_id), "ctl_batch")  # type: ignore[misc]
        return None
    if int(ctl.get("updated_ms", 0)) > now - window_ms // 2:
        # Too soon after the last step for its effect to show (several workers, cron jitter).
        return Step(int(ctl.get("batch", 1)), ctl.get("reason", ""))
    ceiling = int(await redis.hget(keys.event_meta(event_id), "wr_admit_batch_size") or 1)  # type: ignore[misc]
    batch = int(ctl.get("batch", ceiling))
    signals, totals = await read_signals(redis, event_id, now, ctl, window_ms)
    # A signal with too few samples this window keeps its counters for the next one.
    remembered = {
        f"prev_{k}": v
        for k, v in totals.items()
        if not (k.startswith("hold") and signals.hold_success is None)
        and not (k.startswith("pay") and signals.payment_error_rate is None)
    }
    step = decide(targets, signals, min(batch, ceiling), ceiling)
    fields: dict[str, str | int | float] = {
        "batch": step.batch,
        "reason": step.reason,
        "updated_ms": now,
        "signals": msgspec.json.encode(asdict(signals)).decode(),
        **remembered,
    }
    pipe = redis.pipeline(transaction=False)
    pipe.hset(ctl_key, mapping=fields)
    pipe.hset(keys.queue_state(event_id), "ctl_batch", str(step.batch))
    await pipe.execute()
    return step
