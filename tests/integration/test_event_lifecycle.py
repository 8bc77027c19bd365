"""Event lifecycle and live-sale guards: `ended` after offsale once no hold remains, crons and
metrics over live events only, PATCH serialized with status changes and guarded on sale."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from redis.asyncio import Redis

from app.core import keys
from app.core.db import create_pool
from app.core.errors import AppError
from app.core.resources import Resources
from app.core.scripts import Scripts
from app.core.security import Principal
from app.core.settings import Settings
from app.events import lifecycle, service
from app.events.repo import live_event_ids
from app.events.schemas import EventPatch, SectionIn
from app.ops.live import snapshot
from tests.support import checkout as h
from tests.support.api import Api, assert_problem, bulk_fans


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings.database_url, size=4)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def scripts(settings: Settings) -> AsyncIterator[Scripts]:
    client = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        yield Scripts(client)
    finally:
        await client.aclose()


async def _sale_over(pool: asyncpg.Pool, event_id: str) -> None:
    """Move the event's offsale_at into the past (as time would)."""
    await pool.execute(
        "UPDATE events SET onsale_at = now() - interval '2 hours',"
        " offsale_at = now() - interval '1 second' WHERE event_id = $1",
        uuid.UUID(event_id),
    )


async def test_event_ends_after_offsale_once_no_hold_remains(
    api: Api, settings: Settings, pool: asyncpg.Pool, scripts: Scripts
) -> None:
    org = await api.user("organizer")
    ev = (await api.event(org))["event_id"]
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, ev, fan, 2)
    assert r.status_code == 201, r.text
    await _sale_over(pool, ev)

    # A hold is still live: the event stays live until it is settled.
    assert await lifecycle.end_due_events(pool, scripts.redis, scripts) == []
    assert ev in await scripts.redis.smembers(keys.live_events())  # type: ignore[misc]
    r = await api.client.delete(f"/api/v1/holds/{r.json()['hold_id']}", headers=fan.headers)
    assert r.status_code == 204

    assert await lifecycle.end_due_events(pool, scripts.redis, scripts) == [ev]
    assert (await api.client.get(f"/api/v1/events/{ev}")).json()["status"] == "ended"
    assert ev not in await scripts.redis.smembers(keys.live_events())  # type: ignore[misc]
    assert await scripts.redis.hget(keys.event_meta(ev), "status") == "ended"  # type: ignore[misc]
    assert ev not in await live_event_ids(pool)
    # Once.
    assert await lifecycle.end_due_events(pool, scripts.redis, scripts) == []


async def test_two_hundred_ended_events_and_one_on_sale(
    api: Api, settings: Settings, pool: asyncpg.Pool, scripts: Scripts
) -> None:
    """The one on sale is charted, and a tick's work is about live events only."""
    org = await api.user("organizer")
    template = (await api.event(org))["event_id"]
    # 200 past sales cloned from one, each mirrored into Redis as a live event once was.
    await pool.execute(
        """
        INSERT INTO events (event_id, organizer_id, status, name, venue, starts_at, timezone,
                            onsale_at, offsale_at, currency, hold_ttl_s, max_per_order,
                            max_per_user, waiting_room, fairness_seed, fairness_seed_sha256,
                            published_at, org_id)
        SELECT gen_random_uuid(), organizer_id, 'published', name, venue,
               now() - interval '1 day', timezone, now() - interval '3 days',
               now() - interval '2 days', currency, hold_ttl_s, max_per_order, max_per_user,
               waiting_room, fairness_seed, fairness_seed_sha256, now() - interval '4 days',
               org_id
        FROM events, generate_series(1, 200)
        WHERE event_id = $1
        """,
        uuid.UUID(template),
    )
    await _sale_over(pool, template)
    past = await live_event_ids(pool)
    assert len(past) == 201
    await scripts.redis.sadd(keys.live_events(), *past)  # type: ignore[misc]
    on_sale = (await api.event(org))["event_id"]  # the newest id: last in id order

    ended = await lifecycle.end_due_events(pool, scripts.redis, scripts)
    assert len(ended) == 201
    assert await scripts.redis.smembers(keys.live_events()) == {on_sale}  # type: ignore[misc]
    assert await live_event_ids(pool) == [on_sale]
    samples = await snapshot(scripts.redis, scripts.redis)
    charted = {labels[0] for name, labels, _ in samples if name == "onsale_inventory_seats"}
    assert charted == {on_sale}
    assert await lifecycle.end_due_events(pool, scripts.redis, scripts) == []


async def test_metrics_chart_the_event_on_sale_among_many_live_ones(
    api: Api, settings: Settings, pool: asyncpg.Pool, scripts: Scripts
) -> None:
    """Even past the chart bound (50 live events), the one on sale now is charted."""
    org = await api.user("organizer")
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    upcoming = [(await api.event(org, onsale_at=later))["event_id"] for _ in range(52)]
    on_sale = (await api.event(org))["event_id"]
    assert len(await scripts.redis.smembers(keys.live_events())) == 53  # type: ignore[misc]
    samples = await snapshot(scripts.redis, scripts.redis)
    charted = {labels[0] for name, labels, _ in samples if name == "onsale_inventory_seats"}
    assert on_sale in charted
    assert len(charted) == 50
    assert charted <= {on_sale, *upcoming}


async def test_patch_of_a_published_event_is_guarded(api: Api, settings: Settings) -> None:
    org = await api.user("organizer")
    ev = (await api.event(org))["event_id"]
    url = f"/api/v1/events/{ev}"
    # No sale yet: the currency may still change.
    r = await api.client.patch(url, json={"currency": "USD"}, headers=org.headers)
    assert r.status_code == 200, r.text
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, ev, fan, 1)
    r = await h.checkout(api.client, fan, r.json()["hold_id"], None)  # a pending order
    assert r.status_code == 201, r.text
    body = assert_problem(
        await api.client.patch(url, json={"currency": "EUR"}, headers=org.headers),
        422,
        "invalid_request",
    )
    assert [e["field"] for e in body["errors"]] == ["currency"]
    body = assert_problem(
        await api.client.patch(url, json={"hold_ttl_s": 5}, headers=org.headers),
        422,
        "invalid_request",
    )
    assert [e["field"] for e in body["errors"]] == ["hold_ttl_s"]
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = assert_problem(
        await api.client.patch(url, json={"onsale_at": past}, headers=org.headers),
        422,
        "invalid_request",
    )
    assert [e["field"] for e in body["errors"]] == ["onsale_at"]
    event = (await api.client.get(url)).json()
    assert (event["currency"], event["hold_ttl_s"]) == ("USD", 600)
    # Within bounds it still works.
    r = await api.client.patch(url, json={"hold_ttl_s": 300}, headers=org.headers)
    assert r.status_code == 200, r.text


async def test_patch_waits_for_a_concurrent_status_change(
    api: Api, settings: Settings, pool: asyncpg.Pool, scripts: Scripts
) -> None:
    """A PATCH that read `draft` must not replace the sections of an event published
    meanwhile: it locks the row and sees the committed status."""
    org = await api.user("organizer")
    ev = (await api.event(org, publish=False))["event_id"]
    sections = [{"code": "BALC", "name": "Balcony", "price_cents": 100, "capacity": 5}]
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute(
            "UPDATE events SET status = 'published', published_at = now() WHERE event_id = $1",
            uuid.UUID(ev),
        )
        patch = asyncio.ensure_future(
            service.patch_event(
                pool,
                scripts.redis,
                scripts,
                Principal(user_id=org.user_id, roles=("organizer",)),
                ev,
                EventPatch(sections=[SectionIn(**sections[0])]),
            )
        )
        await h.blocked_on_a_lock(settings.database_url)
        assert not patch.done()  # waiting for the row lock
        await tx.commit()
    with pytest.raises(AppError) as refused:
        await patch
    assert refused.value.code == "event_not_draft"
    codes = [s["code"] for s in (await api.client.get(f"/api/v1/events/{ev}")).json()["sections"]]
    assert codes == ["FLOOR"]


async def test_the_cron_ends_due_events(api: Api, resources: Resources) -> None:
    from workers.events import end_events_tick

    org = await api.user("organizer")
    ev = (await api.event(org))["event_id"]
    await _sale_over(resources.pool, ev)
    assert await end_events_tick({"resources": resources}) == 1
    assert (await api.client.get(f"/api/v1/events/{ev}")).json()["status"] == "ended"
