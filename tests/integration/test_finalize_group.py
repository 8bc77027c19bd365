"""Group commit of finalize: concurrent jobs' orders share transactions, each order once,
and one order Postgres refuses never takes the others of its batch down with it."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from app.core.ids import new_id
from app.core.resources import Resources
from app.core.settings import Settings
from app.orders.confirm import write_confirmed
from app.orders.purchase import Purchase, order_id_for
from tests.support.api import Api


async def event_with(api: Api, capacity: int) -> tuple[str, str]:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": capacity}]
    event = await api.event(org, sections=sections, max_per_user=4)
    fan = await api.user("fan")
    return event["event_id"], fan.user_id


def purchase(event_id: str, user_id: str) -> Purchase:
    hold_id = new_id()
    return Purchase(
        hold_id=hold_id,
        event_id=event_id,
        order_id=order_id_for(hold_id),
        user_id=user_id,
        section="FLOOR",
        quantity=1,
        amount_cents=5000,
        currency="EUR",
    )


async def confirm(resources: Resources, p: Purchase) -> None:
    await write_confirmed(
        resources.pool, resources.settings, p, f"pi_{p.hold_id}", None, late=False
    )


async def counts(database_url: str, event_id: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(database_url)
    try:
        ev = uuid.UUID(event_id)
        sold = await conn.fetchval("SELECT sold FROM sections WHERE event_id = $1", ev)
        confirmed = await conn.fetchval(
            "SELECT count(*) FROM orders WHERE event_id = $1 AND status = 'confirmed'", ev
        )
        tickets = await conn.fetchval("SELECT count(*) FROM tickets WHERE event_id = $1", ev)
    finally:
        await conn.close()
    return int(sold), int(confirmed), int(tickets)


async def test_concurrent_confirmations_each_once(
    api: Api, resources: Resources, settings: Settings
) -> None:
    event_id, user_id = await event_with(api, 200)
    purchases = [purchase(event_id, user_id) for _ in range(150)]
    await asyncio.gather(*(confirm(resources, p) for p in purchases))
    assert await counts(settings.database_url, event_id) == (150, 150, 150)
    # A second run of every job (retries) changes nothing.
    await asyncio.gather(*(confirm(resources, p) for p in purchases))
    assert await counts(settings.database_url, event_id) == (150, 150, 150)


async def test_refused_order_does_not_fail_its_batch(
    api: Api, resources: Resources, settings: Settings
) -> None:
    event_id, user_id = await event_with(api, 10)
    purchases = [purchase(event_id, user_id) for _ in range(12)]
    results = await asyncio.gather(
        *(confirm(resources, p) for p in purchases),
        return_exceptions=True,
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    # sold <= capacity (the CHECK) refuses exactly the two orders past capacity.
    assert len(failed) == 2
    assert all(isinstance(r, asyncpg.CheckViolationError) for r in failed)
    assert await counts(settings.database_url, event_id) == (10, 10, 10)
