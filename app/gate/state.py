"""The gate's state in Redis (lua/gate_tick.lua writes it), a fan's standing in its line,
and this process's short-lived copy that nginx's per-request check reads."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Literal

import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.scripts import Scripts
from app.core.settings import Settings

GateState = Literal["open", "queueing", "draining"]
# How stale this process's copy may be: the gate reacts within a tick (1 s) plus this.
REFRESH_S = 0.5
POLL_AFTER_S = 2


class Gate(msgspec.Struct, frozen=True):
    state: GateState = "open"
    seq: int = 0  # places given
    admitted: int = 0  # places let through
    latency_ms: int = 0  # the origin's median over the window
    error_permille: int = 0


class Standing(msgspec.Struct, frozen=True):
    """A fan's standing: through, or waiting with the people ahead and a wait estimate."""

    through: bool
    position: int | None
    ahead: int | None
    eta_s: int | None


def parse(raw: dict[str, str]) -> Gate:
    state = raw.get("state", "open")
    if state not in ("open", "queueing", "draining"):
        state = "open"
    return Gate(
        state=state,  # type: ignore[arg-type]
        seq=int(raw.get("seq") or 0),
        admitted=int(float(raw.get("admitted") or 0)),
        latency_ms=int(raw.get("latency_ms") or 0),
        error_permille=int(raw.get("error_permille") or 0),
    )


async def read(redis: Redis) -> Gate:
    raw: dict[str, str] = await redis.hgetall(keys.gate())  # type: ignore[misc]
    return parse(raw)


async def take_place(redis: Redis) -> int:
    """A new place at the end of the line (one atomic increment)."""
    seq: int = await redis.hincrby(keys.gate(), "seq", 1)  # type: ignore[misc]
    return seq


def standing(gate: Gate, seq: int | None, settings: Settings) -> Standing:
    """Through when the gate is open or the line has reached the fan's place; else the
    people ahead and the wait at the current inlet (None when the inlet is shut)."""
    if gate.state == "open" or (seq is not None and seq <= gate.admitted):
        return Standing(through=True, position=None, ahead=None, eta_s=None)
    if seq is None:
        return Standing(through=False, position=None, ahead=None, eta_s=None)
    position = seq - gate.admitted
    rate = settings.gate_drain_per_s if gate.state == "draining" else settings.gate_admit_per_s
    eta = math.ceil(position / rate) if rate > 0 else None
    return Standing(through=False, position=position, ahead=position - 1, eta_s=eta)


async def tick(scripts: Scripts, settings: Settings, latency_ms: float, ok: bool, now: int) -> Gate:
    """One sample of the origin into the gate; the gate as it now stands."""
    state, seq, admitted, median, errors = await scripts.call(
        scripts.get("gate_tick"),
        [keys.gate()],
        [
            now,
            int(latency_ms),
            1 if ok else 0,
            settings.gate_latency_ms,
            int(settings.gate_error_rate * 1000),
            settings.gate_window,
            settings.gate_recover_samples,
            settings.gate_admit_per_s,
            settings.gate_drain_per_s,
        ],
    )
    return parse(
        {
            "state": state,
            "seq": seq,
            "admitted": admitted,
            "latency_ms": median,
            "error_permille": errors,
        }
    )


class GateView:
    """This process's copy of the gate, read from Redis at most every REFRESH_S: nginx asks
    the check on every request to the origin, and those never wait on Redis one by one."""

    def __init__(self, redis: Redis, refresh_s: float = REFRESH_S) -> None:
        self.redis = redis
        self.refresh_s = refresh_s
        self._gate = Gate()
        self._read_at = -math.inf
        self._lock = asyncio.Lock()

    async def current(self) -> Gate:
        if time.monotonic() - self._read_at < self.refresh_s:
            return self._gate
        async with self._lock:  # one read for every check that finds the copy stale
            if time.monotonic() - self._read_at >= self.refresh_s:
                self._gate = await read(self.redis)
                self._read_at = time.monotonic()
        return self._gate
