"""Reconcile an event's Redis inventory with the Postgres record.

Postgres knows each section's capacity and sold seats, and (through the holds
ledger the workers write asynchronously) every hold with its status and
expiry. The seats that should be on sale are therefore
``capacity − sold − live holds``, where a live hold is a ledger row that is
`active` and not yet expired, or `checking_out` within the checkout grace.

- Redis lost the event (no inventory hash: FLUSHALL, a failover without AOF):
  rebuild inventory, the live holds (records + expiry index, so they still
  expire on time) and per-user seats in one script, then the event meta.
- Redis has it: the drift rule, per section. Redis's own held seats are the
  live holds (the ledger may lag a second behind them), so the expected
  figures are capacity and sold from Postgres and available = capacity − sold
  − held. A difference is `onsale_inventory_drift_seats{event,section}` and a
  log line, then:
  - no hold in doubt (the ledger stream drained, Redis holds = ledger holds,
    no PaymentIntent of the event in flight): Redis is repaired from
    Postgres (repair_inventory.lua re-checks the holds atomically);
  - holds in doubt: wait, since in-flight work explains most differences;
    if the difference outlives ONSALE_DRIFT_PAUSE_AFTER_S the section is
    paused (no new holds; meta paused:<section>), counted in
    onsale_inventory_drift_paused_total (alert OnsaleInventoryDriftPaused),
    until a pass finds it consistent or repairable again.

Seated sections (reserved seating) also reconcile per seat: a rebuild loads each seated
section's map from Postgres and marks its seats held (the live holds' seats) and sold
(the seats of live tickets); a pass compares every seat's state in Redis with the record
(`seat_drift`: seats sold in one and not the other, or held seats the counters do not
count) and, with no hold in doubt, sets the sold seats from Postgres. Each row's free count
(what best available skips rows by) is derived from the seats again on every pass
(`row_drift`: rows whose count disagreed). A rebuild also puts the open resale listings back
in the listed set, so a listing can still be withdrawn or bought after the loss.

Known gap: holds created in the ledger writer's lag (about a second) before
Redis was lost are not in Postgres either; their seats go back on sale.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import asyncpg
import msgspec
from redis.asyncio import Redis

from app.core import keys, metrics
from app.core.clock import now_ms, to_epoch_ms, utcnow
from app.core.scripts import Scripts
from app.core.settings import Settings
from app.discounts import service as discounts
from app.events import mirror
from app.events.model import LIVE_STATUSES, EventRecord, SectionRecord
from app.events.repo import live_event_ids
from app.events.service import load_event
from app.holds import repo
from app.holds.repo import LedgerHold
from app.holds.scripts import hold_scripts
from app.phases import room as phase_room
from app.seating import repo as seating_repo
from app.seating.scripts import seat_scripts
from app.tickettypes import service as ticket_types

log = logging.getLogger("onsale.reconcile")
# Ids per SADD when the idempotency sets are restored (a big event's refunds in a few calls).
_SADD_BATCH = 5000


class SectionReport(msgspec.Struct):
    code: str
    capacity: int
    sold: int
    live_held: int
    expected_available: int
    redis_available: int | None
    drift: int  # as found by this pass (also the gauge until the next pass)
    repaired: bool = False  # Redis was set from Postgres (no hold in doubt)
    paused: bool = False  # the section is off sale: drift with holds in doubt for too long
    seat_drift: int = 0  # seated sections: seats whose state disagrees with the record
    row_drift: int = 0  # seated sections: rows whose free count disagreed with their seats


class Report(msgspec.Struct):
    event_id: str
    status: str
    restored: bool
    holds_restored: int
    sections: list[SectionReport]
    # Ticket types ('SECTION/TYPE') whose Redis counters disagreed with the record (sold:
    # its live tickets; held: the live holds' lines; available + held + sold = quota).
    type_drift: dict[str, int] = msgspec.field(default_factory=dict)
    types_repaired: bool = False  # set from the record (lost, or drift with no hold in doubt)


def _hold_payload(hold: LedgerHold, grace_s: int) -> dict[str, object]:
    expires_at_ms = to_epoch_ms(hold.expires_at)
    fields: dict[str, str] = {
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
    if hold.seats:
        fields["seats"] = ",".join(hold.seats)
    if hold.lines:
        fields["lines"] = hold.lines
    in_checkout = hold.status == "checking_out"
    if in_checkout:
        # Without these the sweeper could neither ask Stripe nor settle the hold: it would
        # drop it from every index and its seats would never come back.
        fields["payment_intent_id"] = hold.payment_intent_id
        fields["order_id"] = hold.order_id
        fields["checkout_deadline_ms"] = str(expires_at_ms)
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


@dataclass(frozen=True)
class Doubt:
    """Why a hold of the event may be in doubt (any of these blocks a repair)."""

    ledger_backlog: int
    payments_in_flight: int

    def any(self, redis_held: int, ledger_held: int) -> bool:
        return bool(self.ledger_backlog or self.payments_in_flight or redis_held != ledger_held)


def _figures(inventory: dict[str, str], code: str) -> tuple[int, int, int, int] | None:
    """(capacity, available, held, sold) of a section in Redis, None if it is missing."""
    try:
        return (
            int(inventory[f"{code}:capacity"]),
            int(inventory[f"{code}:available"]),
            int(inventory[f"{code}:held"]),
            int(inventory[f"{code}:sold"]),
        )
    except KeyError:
        return None


def _consistent(figures: tuple[int, int, int, int], capacity: int, sold: int) -> bool:
    """Redis agrees with the record: the same capacity and sold, and available is
    capacity − sold − Redis's own held seats (the drift rule's expectation)."""
    redis_capacity, available, held, redis_sold = figures
    return (redis_capacity, redis_sold, available) == (capacity, sold, capacity - sold - held)


async def _section_rule(
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
    settings: Settings,
    event_id: str,
    section: SectionRecord,
    ledger_held: int,
    inventory: dict[str, str],
    doubt: Doubt,
) -> SectionReport:
    """Compare one section with the record and apply the drift rule (see the module doc)."""
    code = section.code
    figures = _figures(inventory, code)
    capacity, available, held, sold = figures or (0, 0, 0, 0)
    expected = section.capacity - section.sold - held
    drift = available - expected if figures else -expected
    mismatch = figures is None or not _consistent(figures, section.capacity, section.sold)
    metrics.INVENTORY_DRIFT.labels(event=event_id, section=code).set(drift)
    report = SectionReport(code, section.capacity, section.sold, held, expected, available, drift)
    doubt_key = keys.drift_doubt(event_id, code)
    if not mismatch:
        await _clear(redis, event_id, code, doubt_key)
        return report
    in_doubt = figures is None or doubt.any(held, ledger_held)
    log.warning(
        "reconcile: event %s section %s drift %d (redis capacity %d available %d held %d "
        "sold %d; postgres capacity %d sold %d, ledger holds %d, ledger backlog %d, "
        "payments in flight %d)",
        event_id, code, drift, capacity, available, held, sold, section.capacity,
        section.sold, ledger_held, doubt.ledger_backlog, doubt.payments_in_flight,
    )  # fmt: skip
    if not in_doubt:
        repaired = await _repair_locked(pool, redis, scripts, event_id, code)
        if repaired is not None:
            await _clear(redis, event_id, code, doubt_key)
            if not repaired:  # the change in flight had committed: nothing to repair
                metrics.INVENTORY_DRIFT.labels(event=event_id, section=code).set(0)
            return msgspec.structs.replace(report, repaired=repaired)
    await redis.set(doubt_key, now_ms(), nx=True, ex=max(600, settings.drift_pause_after_s * 10))
    since = int(await redis.get(doubt_key) or now_ms())
    if now_ms() - since < settings.drift_pause_after_s * 1000:
        return report
    field = keys.section_paused_field(code)
    if await redis.hsetnx(keys.event_meta(event_id), field, "1"):  # type: ignore[misc]
        metrics.DRIFT_PAUSED.inc()
        log.error(
            "reconcile: event %s section %s paused: drift %d with holds in doubt for %d s",
            event_id, code, drift, (now_ms() - since) // 1000,
        )  # fmt: skip
    return msgspec.structs.replace(report, paused=True)


async def _repair_locked(
    pool: asyncpg.Pool, redis: Redis, scripts: Scripts, event_id: str, code: str
) -> bool | None:
    """Repair one section from Postgres with its row locked: True repaired, False consistent
    after all, None the holds moved (the repair script refused).

    The pass above read Postgres and Redis at two moments. A capacity change holds the
    section FOR UPDATE while its Redis script runs and until it commits, so between those
    moments Redis can already have the new capacity while Postgres still shows the old one;
    repairing from that read would put withdrawn seats back on sale. Under FOR SHARE the
    change has either committed or not started, and both figures are read again.
    """
    async with pool.acquire() as conn, conn.transaction():
        section = await repo.section_for_share(conn, event_id, code)
        if section is None:
            return False
        inventory: dict[str, str] = await redis.hgetall(keys.inventory(event_id))  # type: ignore[misc]
        figures = _figures(inventory, code)
        if figures is None:
            return None
        if _consistent(figures, section.capacity, section.sold):
            return False
        _, _, held, _ = figures
        if not await hold_scripts(scripts).repair_inventory(
            event_id, code, capacity=section.capacity, sold=section.sold, held=held
        ):
            return None
    metrics.DRIFT_REPAIRED.labels(event=event_id, section=code).inc()
    log.warning("reconcile: event %s section %s repaired from Postgres", event_id, code)
    return True


async def _clear(redis: Redis, event_id: str, code: str, doubt_key: str) -> None:
    """Consistent again: forget the doubt and put a section reconcile paused back on sale."""
    await redis.delete(doubt_key)
    if await redis.hdel(keys.event_meta(event_id), keys.section_paused_field(code)):  # type: ignore[misc]
        log.warning("reconcile: event %s section %s consistent again: resumed", event_id, code)


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
    if restored:
        await _restore_seats(pool, redis, scripts, event_id, live)
        await _restore_listings(pool, redis, event_id)
        await _restore_done(pool, redis, event_id)
    if not await redis.exists(keys.discounts(event_id)):
        await discounts.mirror(pool, redis, event_id)
    held_types = ticket_types.held_by_type((h.section, h.lines) for h in live if h.lines)
    types_repaired = False
    if restored or not await redis.exists(keys.ticket_types(event_id)):
        types_repaired = await ticket_types.restore(pool, scripts, event_id, held_types) > 0
    if restored or not await redis.hexists(keys.event_meta(event_id), "status"):  # type: ignore[misc]
        # Meta last: until it is back the hold script answers sale_not_open. The phases'
        # room settings go first, so the room never runs by the event's alone meanwhile.
        await phase_room.sync(pool, redis, event_id)
        await mirror.sync_event(redis, scripts, event)
    inventory: dict[str, str] = await redis.hgetall(keys.inventory(event_id))  # type: ignore[misc]
    doubt = Doubt(
        ledger_backlog=int(await redis.xlen(keys.hold_ends(event_id))),
        payments_in_flight=await repo.payments_in_flight(pool, event_id),
    )
    sections = [
        await _section_rule(
            pool, redis, scripts, settings, event_id, s, held[s.code], inventory, doubt
        )
        for s in event.sections
    ]
    seated = set(await seating_repo.seated_sections(pool, event_id))
    sections = [
        await _row_rule(
            scripts,
            event_id,
            await _seat_rule(pool, redis, scripts, event_id, r, held[r.code], doubt),
        )
        if r.code in seated
        else r
        for r in sections
    ]
    type_drift = await ticket_types.drift(pool, redis, event_id)
    redis_held = sum(r.live_held for r in sections)
    if type_drift and not doubt.any(redis_held, sum(held.values())):
        # Nothing in flight explains it (a sale between Redis and Postgres would): the
        # record's figures go back, the live holds' lines as the held tickets.
        log.warning("reconcile: event %s ticket types drift %s: repaired", event_id, type_drift)
        await ticket_types.restore(pool, scripts, event_id, held_types)
        types_repaired = True
    return Report(
        event_id,
        event.status,
        restored,
        holds_restored,
        sections,
        type_drift=type_drift,
        types_repaired=types_repaired,
    )


async def _restore_seats(
    pool: asyncpg.Pool, redis: Redis, scripts: Scripts, event_id: str, live: list[LedgerHold]
) -> None:
    """After a rebuild: each seated section's map, its held and its sold seats."""
    for code in await seating_repo.seated_sections(pool, event_id):
        m = await seating_repo.load_map(pool, event_id, code)
        if m is None:
            continue
        # The flag first: the counters just rebuilt already count this section's sales.
        await redis.hset(keys.event_meta(event_id), f"seated:{code}", "1")  # type: ignore[misc]
        await seat_scripts(scripts).load(event_id, code, m, [])
        states = {
            f"{code}/{seat}": f"s:{hold_id}"
            for seat, hold_id in (await seating_repo.sold_seats(pool, event_id, code)).items()
        }
        for hold in live:
            if hold.section == code:
                states.update({f"{code}/{seat}": f"h:{hold.hold_id}" for seat in hold.seats})
        if states:
            await redis.hset(keys.seat_states(event_id), mapping=states)  # type: ignore[misc]
        # The rows' free counts follow the states written just now.
        await seat_scripts(scripts).recount(event_id, code)


async def _restore_listings(pool: asyncpg.Pool, redis: Redis, event_id: str) -> None:
    """After a rebuild: the open resale listings back in the listed set. Their seats are on
    sale already (the record's sold leaves them out, and a listed seat is free on the map);
    without the set a withdrawal would find its listing unknown to Redis and give the seller
    the ticket back while the seat stayed on sale, and the seat could be sold twice."""
    listings = await repo.open_listings(pool, event_id)
    if listings:
        await redis.sadd(keys.resale_listed(event_id), *listings)  # type: ignore[misc]


async def _restore_done(pool: asyncpg.Pool, redis: Redis, event_id: str) -> None:
    """After a rebuild: the idempotency sets of the return and move scripts, from the record.
    The rebuilt counters already show what these did (the record's sold leaves a refunded
    order's seats out; the per-account counts are the live tickets, a transferred one its
    receiver's, a resold one no longer its seller's). Without the sets a refund job, a
    transfer or a resale payout retried after the loss would apply a second time: seats on
    sale twice (an oversell later), or an account's count moved twice. Restored here rather
    than by making the scripts check the record: they cannot read Postgres, and the sets are
    exactly what the record knows. Read after the counts (_restore_lost): a move committed in
    between is marked done though the counts miss it, so its count errs high (a limit too
    tight, never an oversell) rather than moving twice."""
    for key, ids in (
        (keys.returned_orders(event_id), await repo.returned_orders(pool, event_id)),
        (keys.moves_done(event_id), await repo.applied_moves(pool, event_id)),
    ):
        for i in range(0, len(ids), _SADD_BATCH):
            await redis.sadd(key, *ids[i : i + _SADD_BATCH])  # type: ignore[misc]


async def _seat_rule(
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
    event_id: str,
    report: SectionReport,
    ledger_held: int,
    doubt: Doubt,
) -> SectionReport:
    """The drift rule per seat: Redis's sold seats are the record's, and its held seats are
    what the counters count; with no hold in doubt, the sold seats are set from the record."""
    code = report.code
    _, _, states = await seat_scripts(scripts).read(event_id, code)
    sold_pg = await seating_repo.sold_seats(pool, event_id, code)
    sold_redis = {s.seat_id: s.state[2:] for s in states if s.state.startswith("s:")}
    held_redis = sum(1 for s in states if s.state.startswith("h:"))
    wrong = set(sold_pg.keys() ^ sold_redis.keys())
    drift = len(wrong) + abs(held_redis - report.live_held)
    metrics.SEAT_DRIFT.labels(event=event_id, section=code).set(drift)
    if not drift:
        return report
    log.warning(
        "reconcile: event %s section %s: %d seats disagree with the record (%s)",
        event_id, code, drift, ", ".join(sorted(wrong)[:10]),
    )  # fmt: skip
    if doubt.any(held_redis, ledger_held) or not wrong:
        return msgspec.structs.replace(report, seat_drift=drift)
    fields = keys.seat_states(event_id)
    for seat in wrong:
        if seat in sold_pg:
            await redis.hset(fields, f"{code}/{seat}", f"s:{sold_pg[seat]}")  # type: ignore[misc]
        else:
            await redis.hdel(fields, f"{code}/{seat}")  # type: ignore[misc]
    metrics.DRIFT_REPAIRED.labels(event=event_id, section=code).inc()
    return msgspec.structs.replace(report, seat_drift=drift, repaired=True)


async def _row_rule(scripts: Scripts, event_id: str, report: SectionReport) -> SectionReport:
    """Each row's free count (what best available skips rows by) derived from the seats again,
    after the seat rule may have moved some: the counts are Redis's own seats counted, so a
    wrong one is set right at once; how many were wrong goes in the report and the log."""
    wrong = await seat_scripts(scripts).recount(event_id, report.code)
    if not wrong:
        return report
    log.warning(
        "reconcile: event %s section %s: %d rows' free counts disagreed with their seats",
        event_id, report.code, wrong,
    )  # fmt: skip
    return msgspec.structs.replace(report, row_drift=wrong)


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
