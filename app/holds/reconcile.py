"""Reconcile an event's Redis inventory with the Postgres record.

Postgres knows each section's capacity and sold seats, and (through the holds
ledger the workers write asynchronously) every hold with its status and
expiry. The seats that should be on sale are therefore
``capacity − sold − live holds``, where a live hold is a ledger row that is
`active` and not yet expired, or `checking_out` within the checkout grace.

- Redis lost the event (no inventory hash: FLUSHALL, a failover without AOF):
  rebuild inventory, the live holds (records + expiry index, so they still
  expire on time) and per-user seats in one script, then the event meta.
- Redis has it: compare and report. Any difference is logged and exported as
  `onsale_inventory_drift_seats{event,section}` (0 = agree). Redis is not
  overwritten: a hold made in the last second may not be in the ledger yet.

Known gap: holds created in the ledger writer's lag (about a second) before
Redis was lost are not in Postgres either; their seats go back on sale.
"""

from __future__ import annotations

import logging
from collections import Counter

import asyncpg
import msgspec
from redis.asyncio import Redis

from app.core import keys, metrics
from app.core.clock import now_ms, to_epoch_ms, utcnow
from app.core.scripts import Scripts
from app.core.settings import Settings
from app.events import mirror
from app.events.model import LIVE_STATUSES, EventRecord, SectionRecord
from app.events.repo import live_event_ids
from app.events.service import load_event
from app.holds import repo
from app.holds.repo import LedgerHold
from app.holds.scripts import hold_scripts

log = logging.getLogger("onsale.reconcile")


class SectionReport(msgspec.Struct):
    code: str
    capacity: int
    sold: int
    live_held: int
    expected_available: int
    redis_available: int | None
    drift: int


class Report(msgspec.Struct):
    event_id: str
    status: str
    restored: bool
    holds_restored: int
    sections: list[SectionReport]


def _hold_payload(hold: LedgerHold, grace_s: int) -> dict[str, object]:
    expires_at_ms = to_epoch_ms(hold.expires_at)
    fields = {
        "hold_id": hold.hold_id,
        "event_id": hold.event_id,
        "user_id": hold.user_id,
        "section": hold.section,
        "quantity": str(hold.quantity),
        "amount_cents": str(hold.amount_cents),
        "currency": hold.currency,
        "status": hold.status,
        "created_at_ms": str(to_epoch_ms(hold.created_at)),
        "expires_at_ms": str(expires_at_ms),
        "session_id": "",
        "restored": "1",
    }
    in_checkout = hold.status == "checking_out"
    return {
        "fields": fields,
        "index": "checkout" if in_checkout else "expiry",
        "score": expires_at_ms + grace_s * 1000 if in_checkout else expires_at_ms,
        "expires_at_ms": expires_at_ms,
    }


async def _restore_lost(
    pool: asyncpg.Pool,
    scripts: Scripts,
    settings: Settings,
    event: EventRecord,
    live: list[LedgerHold],
    held: Counter[str],
) -> tuple[bool, int]:
    """Rebuild inventory, live holds and per-user seats in one script: (restored, holds)."""
    event_id = event.event_id
    seats = Counter[str](await repo.sold_seats_by_user(pool, event_id))
    for hold in live:
        seats[hold.user_id] += hold.quantity
    payload = {
        "sections": [[s.code, s.capacity, s.sold, held[s.code]] for s in event.sections],
        "users": [[user_id, n] for user_id, n in seats.items() if n > 0],
        "holds": [_hold_payload(h, settings.checkout_grace_s) for h in live],
    }
    restored, holds = await hold_scripts(scripts).restore_inventory(
        event_id, [h.hold_id for h in live], payload, now_ms()
    )
    if restored:
        log.warning(
            "reconcile: rebuilt lost inventory of event %s (%d live holds)", event_id, holds
        )
    return restored, holds


def _compare(
    event_id: str, section: SectionRecord, live_held: int, inventory: dict[str, str]
) -> SectionReport:
    """One section's Redis figures against the record; the drift goes to the metric."""
    expected = section.capacity - section.sold - live_held
    value = inventory.get(f"{section.code}:available")
    redis_available = int(value) if value is not None else None
    drift = (redis_available - expected) if redis_available is not None else -expected
    metrics.INVENTORY_DRIFT.labels(event=event_id, section=section.code).set(drift)
    redis_capacity = inventory.get(f"{section.code}:capacity")
    if drift or (redis_capacity is not None and int(redis_capacity) != section.capacity):
        log.warning(
            "reconcile: event %s section %s drift %d (redis available %s, capacity %s; "
            "postgres capacity %d sold %d live holds %d)",
            event_id,
            section.code,
            drift,
            redis_available,
            redis_capacity,
            section.capacity,
            section.sold,
            live_held,
        )
    return SectionReport(
        code=section.code,
        capacity=section.capacity,
        sold=section.sold,
        live_held=live_held,
        expected_available=expected,
        redis_available=redis_available,
        drift=drift,
    )


async def reconcile_event(
    pool: asyncpg.Pool, redis: Redis, scripts: Scripts, settings: Settings, event_id: str
) -> Report:
    event = await load_event(pool, event_id)
    if event.status not in LIVE_STATUSES:
        return Report(event_id, event.status, restored=False, holds_restored=0, sections=[])
    live = await repo.live_holds(pool, event_id, utcnow(), settings.checkout_grace_s)
    held = Counter[str]()
    for hold in live:
        held[hold.section] += hold.quantity
    restored, holds_restored = False, 0
    if not await redis.exists(keys.inventory(event_id)):
        restored, holds_restored = await _restore_lost(pool, scripts, settings, event, live, held)
    if restored or not await redis.exists(keys.event_meta(event_id)):
        # Meta last: until it is back the hold script answers sale_not_open.
        await mirror.sync_event(redis, scripts, event)
    inventory: dict[str, str] = await redis.hgetall(keys.inventory(event_id))  # type: ignore[misc]
    sections = [_compare(event_id, s, held[s.code], inventory) for s in event.sections]
    return Report(event_id, event.status, restored, holds_restored, sections)


async def reconcile_all(
    pool: asyncpg.Pool, redis: Redis, scripts: Scripts, settings: Settings
) -> list[Report]:
    reports = []
    for event_id in await live_event_ids(pool):
        try:
            reports.append(await reconcile_event(pool, redis, scripts, settings, event_id))
        except Exception:
            log.exception("reconcile of event %s failed", event_id)
    return reports
