"""Each process's short-lived copy of an event's phases, so a queue join of an event
without phases costs no Postgres read (at most one per event every TTL_S)."""

from __future__ import annotations

import time

import asyncpg

from app.phases import repo
from app.phases.model import PhaseRecord

TTL_S = 2.0
_PHASES: dict[str, tuple[float, list[PhaseRecord]]] = {}
_MAX_EVENTS = 10_000


async def phases(pool: asyncpg.Pool, event_id: str) -> list[PhaseRecord]:
    hit = _PHASES.get(event_id)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    loaded = await repo.event_phases(pool, event_id)
    if len(_PHASES) >= _MAX_EVENTS:
        _PHASES.clear()
    _PHASES[event_id] = (now + TTL_S, loaded)
    return loaded


def forget(event_id: str) -> None:
    """This process changed the event's phases: read them afresh (others within TTL_S)."""
    _PHASES.pop(event_id, None)
