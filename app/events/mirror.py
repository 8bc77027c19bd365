"""Mirrors an event's hot-path settings and inventory into Redis.

The hold script and the waiting room read these keys instead of Postgres, so
the hot path never touches the record. The mirror is rewritten on every
status change and patch, and rebuilt by reconcile.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from app.core import keys
from app.core.clock import to_epoch_ms
from app.core.scripts import ScriptPipeline, Scripts
from app.events.model import LIVE_STATUSES, EventRecord, SectionRecord


def meta_fields(event: EventRecord) -> dict[str, str | int]:
    wr = event.waiting_room
    fields: dict[str, str | int] = {
        "status": event.status,
        "organizer_id": event.organizer_id,
        "onsale_at_ms": to_epoch_ms(event.onsale_at),
        "offsale_at_ms": to_epoch_ms(event.offsale_at),
        "hold_ttl_s": event.hold_ttl_s,
        "max_per_order": event.max_per_order,
        "max_per_user": event.max_per_user,
        "currency": event.currency,
        "sections": ",".join(s.code for s in event.sections),
        "wr_enabled": int(wr.enabled),
        "wr_admit_batch_size": wr.admit_batch_size,
        "wr_admit_interval_s": wr.admit_interval_s,
        "wr_max_active_shoppers": wr.max_active_shoppers,
        "wr_session_ttl_s": wr.session_ttl_s,
        "wr_mode": wr.mode,
        "wr_prequeue_opens_at_ms": to_epoch_ms(wr.prequeue_opens_at) if wr.prequeue_opens_at else 0,
    }
    for section in event.sections:
        fields[f"price:{section.code}"] = section.price_cents
    return fields


class MirrorScripts:
    """lua/load_inventory.lua: a section's seats from the record, loaded once."""

    def __init__(self, scripts: Scripts) -> None:
        self._scripts = scripts
        self._load = scripts.get("load_inventory")

    async def load_inventory(
        self, event_id: str, section: SectionRecord, client: ScriptPipeline
    ) -> None:
        """Queue the load of one section on `client` (a pipeline); a loaded one is kept."""
        await self._scripts.call(
            self._load,
            [keys.inventory(event_id)],
            [section.code, section.capacity, section.sold],
            client,
        )


async def load_ticket_types(scripts: Scripts, event_id: str, rows: Sequence[Any]) -> None:
    """Ticket types new to Redis (a copied event's; app.tickettypes writes the others), their
    counters from nothing sold or held (lua/put_ticket_type.lua)."""
    codes: dict[str, list[str]] = {}
    for row in rows:
        codes.setdefault(row["section_code"], []).append(row["code"])
    for row in rows:
        opens, closes = row["opens_at"], row["closes_at"]
        await scripts.run(
            "put_ticket_type",
            keys=[keys.ticket_types(event_id)],
            args=[
                "restore", row["section_code"], row["code"], row["quota"], 0, 0,
                ",".join(codes[row["section_code"]]),
                "price", row["price_cents"], "limit", row["max_per_order"],
                "opens", to_epoch_ms(opens) if opens else 0,
                "closes", to_epoch_ms(closes) if closes else 0,
                "companion", row["companion"] or "", "name", row["name"],
            ],
        )  # fmt: skip


async def sync_event(redis: Redis, scripts: Scripts, event: EventRecord) -> None:
    """Write the event's settings, and load any section not yet in Redis."""
    pipe = scripts.pipeline()
    pipe.commands.hset(keys.event_meta(event.event_id), mapping=meta_fields(event))
    if event.status in LIVE_STATUSES:
        pipe.commands.sadd(keys.live_events(), event.event_id)
        loader = scripts.view(MirrorScripts)
        for section in event.sections:
            await loader.load_inventory(event.event_id, section, pipe)
    else:
        pipe.commands.srem(keys.live_events(), event.event_id)
    await pipe.execute()


async def live_events(redis: Redis) -> list[str]:
    """Events whose onsale machinery runs (admission, expiry, checkouts), sorted."""
    members: set[str] = await redis.smembers(keys.live_events())  # type: ignore[misc]
    return sorted(members)


# Every fan refreshing an event page reads availability: each process answers
# from this cache for up to AVAILABILITY_TTL_S per event. An organizer's change
# (publish, patch, pause, capacity) drops the event's entry in the process that
# made it and its own answer is read fresh: otherwise the figures from just
# before the change (the publish answer's, say) would be served for a second
# after it, and a page would offer seats the organizer had just withdrawn.
AVAILABILITY_TTL_S = 1.0
_availability_cache: dict[str, tuple[float, dict[str, int]]] = {}


def forget_availability(event_id: str) -> None:
    """The event changed here: the next read of its availability goes to Redis."""
    _availability_cache.pop(event_id, None)


async def availability(redis: Redis, event: EventRecord, *, fresh: bool = False) -> dict[str, int]:
    """Seats on sale per section, from Redis (at most 1 s old unless `fresh`, which also
    drops the cached figures); Postgres figures before publish."""
    if event.status == "draft":
        return {s.code: s.capacity - s.sold for s in event.sections}
    now = time.monotonic()
    cached = None if fresh else _availability_cache.get(event.event_id)
    if cached and cached[0] > now and cached[1].keys() >= {s.code for s in event.sections}:
        return cached[1]
    fields = [f"{s.code}:available" for s in event.sections]
    values: list[str | None] = await redis.hmget(keys.inventory(event.event_id), fields)  # type: ignore[misc]
    out: dict[str, int] = {}
    for section, value in zip(event.sections, values, strict=True):
        out[section.code] = int(value) if value is not None else section.capacity - section.sold
    if fresh:
        forget_availability(event.event_id)
        return out
    if len(_availability_cache) > 10_000:
        _availability_cache.clear()
    _availability_cache[event.event_id] = (now + AVAILABILITY_TTL_S, out)
    return out
