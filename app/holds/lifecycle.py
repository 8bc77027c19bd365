"""The background half of holds: expiry sweeps and the Postgres ledger writer.

Expiry: per live event, list up to `batch` expired hold ids from the expiry
index and hand their record keys to lua/expire_holds.lua, which re-checks each
one atomically; repeat until none is left, so any number of holds drains
within a tick.

Ledger: the hold scripts append every start and end of a hold to the event's
lifecycle stream; `write_ledger` copies those entries into the Postgres `holds`
table in batches, then deletes them. The hot path never waits for Postgres.
Starts carry the whole hold; ends carry only the id and status, so the record
is read from Redis. Upserts never move a status backwards, so a batch written
twice (two workers, a retried job) has the effect of one.
"""

from __future__ import annotations

import logging
from datetime import datetime

import asyncpg
from redis.asyncio import Redis

from app.core import keys, metrics
from app.core.clock import from_epoch_ms, now_ms
from app.core.scripts import Scripts
from app.events import mirror
from app.holds import repo
from app.holds.repo import LedgerHold
from app.holds.scripts import hold_scripts

log = logging.getLogger("onsale.holds")

EXPIRY_BATCH = 500
LEDGER_BATCH = 1000
# A safety stop for one call; the next tick carries on.
MAX_BATCHES = 1000
FINAL_STATUSES = frozenset({"converted", "released", "expired"})
_EXPIRED = metrics.HOLDS.labels(outcome="expired")


async def sweep_event(
    redis: Redis, scripts: Scripts, event_id: str, *, batch: int = EXPIRY_BATCH
) -> tuple[int, int]:
    """Expire every active hold of the event whose time is up: (holds, seats)."""
    expiry = keys.hold_expiry(event_id)
    scripts_ = hold_scripts(scripts)
    holds = seats = 0
    for _ in range(MAX_BATCHES):
        now = now_ms()
        ids: list[str] = await redis.zrangebyscore(expiry, "-inf", now, start=0, num=batch)
        if not ids:
            break
        expired, returned = await scripts_.expire(event_id, ids, now)
        holds += expired
        seats += returned
        if len(ids) < batch:
            break
    if holds:
        _EXPIRED.inc(holds)
    return holds, seats


async def sweep_all(redis: Redis, scripts: Scripts) -> int:
    """One expiry pass over every live event; returns the holds expired."""
    total = 0
    for event_id in await mirror.live_events(redis):
        total += (await sweep_event(redis, scripts, event_id))[0]
    return total


def _ledger_row(event_id: str, status: str, at_ms: int, record: dict[str, str]) -> LedgerHold:
    return LedgerHold(
        hold_id=record["hold_id"],
        event_id=event_id,
        section=record["section"],
        user_id=record["user_id"],
        quantity=int(record["quantity"]),
        amount_cents=int(record["amount_cents"]),
        currency=record["currency"],
        status=status,
        created_at=from_epoch_ms(int(record["created_at_ms"])),
        expires_at=from_epoch_ms(int(record["expires_at_ms"])),
        ended_at=from_epoch_ms(at_ms) if status in FINAL_STATUSES else None,
        seats=tuple(s for s in record.get("seats", "").split(",") if s),
        lines=record.get("lines", ""),
    )


async def write_ledger(
    redis: Redis, pool: asyncpg.Pool, event_id: str, *, batch: int = LEDGER_BATCH
) -> int:
    """Copy the event's pending hold starts and ends into Postgres; returns entries written."""
    stream = keys.hold_ends(event_id)
    written = 0
    for _ in range(MAX_BATCHES):
        entries: list[tuple[str, dict[str, str]]] = await redis.xrange(stream, count=batch)
        if not entries:
            break
        bare = [f for _, f in entries if "section" not in f and "hold_id" in f]
        pipe = redis.pipeline(transaction=False)
        for fields in bare:
            pipe.hgetall(keys.hold(event_id, fields["hold_id"]))
        records = dict(
            zip((f["hold_id"] for f in bare), await pipe.execute() if bare else [], strict=True)
        )
        rows: list[LedgerHold] = []
        status_only: list[tuple[str, str, datetime | None]] = []
        for entry_id, fields in entries:
            hold_id, status = fields.get("hold_id"), fields.get("status")
            if not hold_id or not status:
                log.warning("ledger: malformed entry %s %s", entry_id, fields)
                continue
            at_ms = int(fields.get("at_ms") or entry_id.split("-")[0])
            record = fields if "section" in fields else records.get(hold_id)
            if record and "created_at_ms" in record:
                rows.append(_ledger_row(event_id, status, at_ms, record))
            else:
                ended = from_epoch_ms(at_ms) if status in FINAL_STATUSES else None
                status_only.append((hold_id, status, ended))
        # Rows in hold id order (stable: each hold's own events keep their order), so two
        # writers that overlap (a tick outliving its slot, a restarted worker) take the
        # row locks in the same order and never deadlock.
        rows.sort(key=lambda row: row.hold_id)
        status_only.sort(key=lambda update: update[0])
        async with pool.acquire() as conn, conn.transaction():
            await repo.upsert_ledger(conn, rows)
            await repo.set_ledger_status(conn, status_only)
        await redis.xdel(stream, *(entry_id for entry_id, _ in entries))
        written += len(entries)
        if len(entries) < batch:
            break
    return written


async def write_ledger_all(redis: Redis, pool: asyncpg.Pool) -> int:
    total = 0
    for event_id in await mirror.live_events(redis):
        total += await write_ledger(redis, pool, event_id)
    return total
