"""Hold expiry sweeps, the Postgres ledger writer and reconcile (real Redis and Postgres)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from app.core import keys
from app.core.db import create_pool
from app.core.errors import AppError
from app.core.scripts import Scripts
from app.core.settings import Settings
from app.holds import lifecycle, reconcile, service
from app.holds.schemas import HoldIn
from tests.support.api import Api
from tests.support.holds import Fan, admit, assert_conserved, create_fans, inventory


@pytest.fixture
async def scripts(settings: Settings) -> AsyncIterator[Scripts]:
    client = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        yield Scripts(client)
    finally:
        await client.aclose()


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings.database_url, size=3)
    try:
        yield pool
    finally:
        await pool.close()


async def take(scripts: Scripts, settings: Settings, fan: Fan, ev: str, quantity: int) -> str:
    hold, _ = await service.create_hold(
        scripts,
        settings.secret_key,
        fan.user_id,
        ev,
        fan.admission[ev],
        None,
        HoldIn(section="FLOOR", quantity=quantity),
    )
    return hold.hold_id


async def ledger(pool: asyncpg.Pool, ev: str) -> dict[str, str]:
    rows = await pool.fetch("SELECT hold_id, status FROM holds WHERE event_id = $1", uuid.UUID(ev))
    return {r["hold_id"]: r["status"] for r in rows}


async def test_sweeper_drains_any_number_of_expired_holds_in_batches(
    api: Api, settings: Settings, scripts: Scripts, pool: asyncpg.Pool
) -> None:
    organizer = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 10, "capacity": 2000}]
    ev = (await api.event(organizer, hold_ttl_s=1, max_per_user=10, sections=sections))["event_id"]
    fans = await create_fans(settings.database_url, settings.secret_key, 300)
    await admit(scripts.redis, settings.secret_key, ev, fans)
    await asyncio.gather(*(take(scripts, settings, f, ev, 2) for f in fans for _ in range(2)))
    inv = await inventory(scripts.redis, ev)
    assert inv["held"] == 1200
    await asyncio.sleep(1.1)
    holds, seats = await lifecycle.sweep_event(scripts.redis, scripts, ev, batch=100)
    assert (holds, seats) == (600, 1200)
    assert await inventory(scripts.redis, ev) == {
        "capacity": 2000,
        "available": 2000,
        "held": 0,
        "sold": 0,
    }
    assert await scripts.redis.hlen(keys.user_seats(ev)) == 0
    assert await scripts.redis.zcard(keys.hold_expiry(ev)) == 0
    # The ledger gets each hold's start and end, in batches, and a rerun changes nothing.
    assert await lifecycle.write_ledger(scripts.redis, pool, ev, batch=250) == 1200
    assert await lifecycle.write_ledger(scripts.redis, pool, ev) == 0
    rows = await ledger(pool, ev)
    assert len(rows) == 600
    assert set(rows.values()) == {"expired"}
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM holds WHERE event_id = $1 AND ended_at IS NULL", uuid.UUID(ev)
        )
        == 0
    )


async def test_ledger_follows_every_status_and_never_goes_back(
    api: Api, settings: Settings, scripts: Scripts, pool: asyncpg.Pool
) -> None:
    organizer = await api.user("organizer")
    ev = (await api.event(organizer))["event_id"]
    a, b, c = await create_fans(settings.database_url, settings.secret_key, 3)
    await admit(scripts.redis, settings.secret_key, ev, [a, b, c])
    kept = await take(scripts, settings, a, ev, 2)
    released = await take(scripts, settings, b, ev, 1)
    converted = await take(scripts, settings, c, ev, 1)
    await lifecycle.write_ledger(scripts.redis, pool, ev)
    assert await ledger(pool, ev) == {kept: "active", released: "active", converted: "active"}
    await service.release_hold(scripts, b.user_id, released)
    # Another script (checkout) appends only id and status; the record fills the rest.
    await scripts.redis.xadd(
        keys.hold_ends(ev), {"hold_id": converted, "status": "converted", "at_ms": "1"}
    )
    # A stale start replayed after the end must not resurrect the hold.
    await scripts.redis.xadd(keys.hold_ends(ev), {"hold_id": released, "status": "active"})
    await lifecycle.write_ledger(scripts.redis, pool, ev)
    assert await ledger(pool, ev) == {kept: "active", released: "released", converted: "converted"}
    assert await scripts.redis.xlen(keys.hold_ends(ev)) == 0
    # Reads fall back to the ledger once Redis forgot a hold.
    await scripts.redis.delete(keys.hold(ev, released))
    hold = await service.get_hold(scripts.redis, pool, b.user_id, released)
    assert hold.status == "released"
    assert hold.quantity == 1


async def test_reconcile_rebuilds_a_lost_event_and_reports_drift(
    api: Api, settings: Settings, scripts: Scripts, pool: asyncpg.Pool
) -> None:
    organizer = await api.user("organizer")
    ev = (await api.event(organizer, max_per_user=4))["event_id"]
    await pool.execute("UPDATE sections SET sold = 7 WHERE event_id = $1", uuid.UUID(ev))
    fans = await create_fans(settings.database_url, settings.secret_key, 3)
    await admit(scripts.redis, settings.secret_key, ev, fans)
    live = [await take(scripts, settings, f, ev, 3) for f in fans]
    await service.release_hold(scripts, fans[0].user_id, live[0])
    await lifecycle.write_ledger(scripts.redis, pool, ev)

    report = await reconcile.reconcile_event(pool, scripts.redis, scripts, settings, ev)
    assert not report.restored
    # Redis loaded sold=0 at publish, Postgres says 7: exactly that drift is reported.
    assert report.sections[0].drift == 7
    sample = REGISTRY.get_sample_value(
        "onsale_inventory_drift_seats", {"event": ev, "section": "FLOOR"}
    )
    assert sample == 7

    await scripts.redis.flushdb()
    report = await reconcile.reconcile_event(pool, scripts.redis, scripts, settings, ev)
    assert report.restored
    assert report.holds_restored == 2
    assert report.sections[0].drift == 0
    assert await inventory(scripts.redis, ev) == {
        "capacity": 100,
        "available": 100 - 7 - 6,
        "held": 6,
        "sold": 7,
    }
    assert await scripts.redis.hget(keys.user_seats(ev), fans[1].user_id) == "3"
    assert await scripts.redis.zcard(keys.hold_expiry(ev)) == 2
    assert ev in await scripts.redis.smembers(keys.live_events())
    # The restored holds still belong to their owners and can be released.
    await service.release_hold(scripts, fans[1].user_id, live[1])
    inv = await inventory(scripts.redis, ev)
    assert inv["held"] == 3
    assert_conserved(inv)
    # The per-user limit survived: fan 2 holds 3 of 4 and cannot take 2 more.
    await admit(scripts.redis, settings.secret_key, ev, fans)
    with pytest.raises(AppError, match="At most 4 tickets"):
        await take(scripts, settings, fans[2], ev, 2)
    # Reconciling again changes nothing.
    report = await reconcile.reconcile_event(pool, scripts.redis, scripts, settings, ev)
    assert not report.restored
