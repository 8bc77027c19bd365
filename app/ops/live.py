"""Inventory, hold and waiting-room gauges read from Redis at scrape time.

Nothing here is kept in-process: each /metrics scrape reads the live events'
Redis state, so every API replica (and every uvicorn worker) reports the same
truth and a restarted process loses nothing. Labels stay bounded: at most
MAX_EVENTS live events, their section codes, fixed states.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import now_ms
from app.core.metrics import LIVE_GAUGES
from waiting_room.stats import queue_stats

log = logging.getLogger("onsale.metrics")

# Cardinality and scrape-cost bound: events beyond this are not charted.
MAX_EVENTS = 50
SCRAPE_TIMEOUT_S = 2.0
INVENTORY_STATES = ("capacity", "available", "held", "sold")

Sample = tuple[str, tuple[str, ...], float]


class LiveCollector(Collector):
    """A prometheus collector over one snapshot of samples (name, label values, value)."""

    def __init__(self, samples: list[Sample]) -> None:
        self.samples = samples

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = {
            name: GaugeMetricFamily(name, doc, labels=list(labels))
            for name, (doc, labels) in LIVE_GAUGES.items()
        }
        for name, label_values, value in self.samples:
            families[name].add_metric(list(label_values), value)
        yield from families.values()


async def _event_samples(redis: Redis, event_id: str, now: int) -> list[Sample]:
    pipe = redis.pipeline(transaction=False)
    pipe.hmget(keys.event_meta(event_id), ["onsale_at_ms", "offsale_at_ms", "status", "sections"])
    pipe.hgetall(keys.inventory(event_id))
    pipe.zcard(keys.hold_expiry(event_id))
    pipe.zcard(keys.checkouts(event_id))
    (
        (onsale_at, offsale_at, status, sections),
        inventory,
        active,
        checking_out,
    ) = await pipe.execute()
    queue = await queue_stats(redis, event_id)
    ev = (event_id,)
    out: list[Sample] = [
        ("onsale_holds_active", (event_id, "active"), float(active)),
        ("onsale_holds_active", (event_id, "checking_out"), float(checking_out)),
    ]
    codes = [c for c in (sections or "").split(",") if c]
    left = 0
    for code in codes:
        for state in INVENTORY_STATES:
            value = int(inventory.get(f"{code}:{state}", 0) or 0)
            out.append(("onsale_inventory_seats", (event_id, code, state), float(value)))
            if state in ("available", "held"):
                left += value
    opened = onsale_at is None or now >= int(onsale_at)
    over = status == "ended" or (offsale_at is not None and now >= int(offsale_at))
    out += [
        ("onsale_queue_waiting", ev, float(queue.waiting if opened else 0)),
        ("onsale_queue_prequeue", ev, float(0 if opened else queue.waiting)),
        ("onsale_queue_active_shoppers", ev, float(queue.active_shoppers)),
        ("onsale_queue_admitted", ev, float(queue.admitted_total)),
        ("onsale_queue_admit_rate_per_minute", ev, float(queue.admit_rate_per_min)),
        ("onsale_queue_closed", ev, 1.0 if over or (codes and left == 0) else 0.0),
    ]
    return out


def _rank(meta: list[str | None], now: int) -> tuple[int, int]:
    """On sale now first, then paused, then upcoming (soonest first), then the rest."""
    status, onsale_at, offsale_at = meta
    on = int(onsale_at or 0)
    off = int(offsale_at or 0)
    if status == "published" and on <= now < off:
        return (0, 0)
    if status == "paused" and now < off:
        return (1, 0)
    if now < on:
        return (2, on - now)
    return (3, 0)


async def charted_events(redis: Redis, members: list[str], now: int) -> list[str]:
    """At most MAX_EVENTS live events, the ones that matter now first (not the first by id)."""
    if len(members) <= MAX_EVENTS:
        return members
    pipe = redis.pipeline(transaction=False)
    for event_id in members:
        pipe.hmget(keys.event_meta(event_id), ["status", "onsale_at_ms", "offsale_at_ms"])
    metas = await pipe.execute()
    ranked = sorted(zip(members, metas, strict=True), key=lambda em: _rank(em[1], now))
    return sorted(event_id for event_id, _ in ranked[:MAX_EVENTS])


async def snapshot(redis: Redis, jobs: Redis) -> list[Sample]:
    """Samples for every live event (bounded); empty when Redis does not answer in time.

    `jobs` is arq's Redis (its own server beside a cluster). Each event is
    read on its own (one slot, so one node), never in a cross-event command.
    """
    try:
        async with asyncio.timeout(SCRAPE_TIMEOUT_S):
            members: set[str]
            members, queued = await asyncio.gather(
                redis.smembers(keys.live_events()),  # type: ignore[arg-type]
                jobs.zcard(keys.ARQ_QUEUE),
            )
            now = now_ms()
            events = await charted_events(redis, sorted(members), now)
            per_event = await asyncio.gather(*(_event_samples(redis, e, now) for e in events))
    except Exception as exc:  # a scrape must still answer with the in-process metrics
        log.warning("live metrics unavailable: %s", type(exc).__name__)
        return []
    samples: list[Sample] = [
        ("onsale_live_events", (), float(len(members))),
        ("onsale_jobs_queued", (), float(queued)),
    ]
    for part in per_event:
        samples += part
    return samples
