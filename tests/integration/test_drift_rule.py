"""The drift rule of reconcile (findings 2 and 3): repair Redis from Postgres when no hold is in
doubt, otherwise pause the section and alert; restore holds in checkout with their payment;
no false drift while holds and checkouts are live."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec
import pytest

from app.checkout import sweeper
from app.core import keys
from app.core.resources import Resources
from app.core.settings import Settings
from app.holds import lifecycle, reconcile
from app.holds import repo as holds_repo
from app.holds.record import read_hold
from app.holds.scripts import Adjust, hold_scripts
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def _event(api: Api, capacity: int = 20) -> tuple[Any, str]:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 1000, "capacity": capacity}]
    return org, (await api.event(org, sections=sections))["event_id"]


async def _hold(api: Api, settings: Settings, event_id: str, quantity: int = 2) -> tuple[Any, str]:
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, event_id, fan, quantity)
    assert r.status_code == 201, r.text
    return fan, r.json()["hold_id"]


async def _reconcile(res: Resources, event_id: str) -> reconcile.SectionReport:
    report = await reconcile.reconcile_event(
        res.pool, res.redis, res.scripts, res.settings, event_id
    )
    return report.sections[0]


async def test_drift_without_holds_in_doubt_is_repaired(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """Finding 2's end state: Redis says capacity 11 and 5 available, Postgres capacity 2."""
    _, ev = await _event(api, capacity=11)
    await resources.pool.execute(
        "UPDATE sections SET capacity = 2 WHERE event_id = $1", uuid.UUID(ev)
    )
    before = await _reconcile(resources, ev)
    assert before.drift == 9
    assert before.repaired
    assert h.inventory(settings, ev) == {"capacity": 2, "available": 2, "held": 0, "sold": 0}
    after = await _reconcile(resources, ev)
    assert (after.drift, after.repaired, after.paused) == (0, False, False)


async def test_a_capacity_change_in_flight_is_not_undone_by_a_repair(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """A withdrawal has run its Redis script but not committed when a reconcile pass reads
    both stores: the pass must not put the withdrawn seats back (seen as a sold-out event
    drawn with seats on sale)."""
    _, ev = await _event(api, capacity=20)
    async with resources.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        # The capacity endpoint's own steps (app.holds.inventory.adjust_capacity), paused
        # between the Redis script and the commit.
        assert await holds_repo.section_for_update(conn, ev, "FLOOR") is not None
        adjusted = await hold_scripts(resources.scripts).adjust_capacity(ev, "FLOOR", -20)
        assert adjusted.code is Adjust.OK
        await holds_repo.add_capacity(conn, ev, "FLOOR", -20, ref=str(uuid.uuid4()))
        pass_ = asyncio.create_task(_reconcile(resources, ev))
        # The pass has read Postgres (capacity 20) and Redis (0) and waits for the section.
        await h.blocked_on_a_lock(settings.database_url)
        await tx.commit()
    report = await pass_
    assert not report.repaired
    assert h.inventory(settings, ev) == {"capacity": 0, "available": 0, "held": 0, "sold": 0}
    r = await api.client.get(f"/api/v1/events/{ev}")
    assert [s["available"] for s in r.json()["sections"]] == [0]


async def test_drift_with_a_payment_in_flight_waits_then_pauses_the_section(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, ev = await _event(api)
    fan, hold_id = await _hold(api, settings, ev)
    r = await h.checkout(api.client, fan, hold_id, None)  # journaled, undecided: in flight
    assert r.status_code == 201, r.text
    await lifecycle.write_ledger(resources.redis, resources.pool, ev)
    await resources.pool.execute("UPDATE sections SET sold = 3 WHERE event_id = $1", uuid.UUID(ev))

    waiting = await _reconcile(resources, ev)
    assert waiting.drift == 3
    assert (waiting.repaired, waiting.paused) == (False, False)
    assert h.inventory(settings, ev)["sold"] == 0  # not overwritten while in doubt

    strict = msgspec.structs.replace(settings, drift_pause_after_s=0)
    paused = await reconcile.reconcile_event(
        resources.pool, resources.redis, resources.scripts, strict, ev
    )
    assert paused.sections[0].paused
    other = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, ev, other, 1)
    assert r.status_code == 409
    assert r.json()["code"] == "sale_not_open"

    # The payment settles (cancelled here); nothing is in doubt: repaired, back on sale.
    await resources.pool.execute("UPDATE payment_intents SET settled_at = now()")
    healed = await reconcile.reconcile_event(
        resources.pool, resources.redis, resources.scripts, strict, ev
    )
    assert healed.sections[0].repaired
    assert await resources.redis.hget(keys.event_meta(ev), "paused:FLOOR") is None  # type: ignore[misc]
    r = await h.hold(api.client, ev, other, 1)
    assert r.status_code == 201, r.text


async def test_no_false_drift_while_holds_and_checkouts_are_live(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, ev = await _event(api)
    for _ in range(3):
        await _hold(api, settings, ev, 2)
    fan, in_checkout = await _hold(api, settings, ev, 3)
    assert (await h.checkout(api.client, fan, in_checkout, None)).status_code == 201
    # The ledger writer has not run: Postgres knows none of these holds yet.
    section = await _reconcile(resources, ev)
    assert (section.drift, section.repaired, section.paused) == (0, False, False)
    await lifecycle.write_ledger(resources.redis, resources.pool, ev)
    section = await _reconcile(resources, ev)
    assert (section.drift, section.repaired, section.paused) == (0, False, False)
    assert h.inventory(settings, ev) == {"capacity": 20, "available": 11, "held": 9, "sold": 0}


async def test_restored_checkout_keeps_its_payment_and_settles(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    """Finding 3: after Redis loses the event, a hold in checkout comes back with its
    PaymentIntent and order, so the sweeper settles it and its seats come back."""
    _, ev = await _event(api)
    fan, hold_id = await _hold(api, settings, ev, 2)
    checkout = (await h.checkout(api.client, fan, hold_id, None)).json()
    await lifecycle.write_ledger(resources.redis, resources.pool, ev)
    await resources.redis.flushdb()

    report = await reconcile.reconcile_event(
        resources.pool, resources.redis, resources.scripts, settings, ev
    )
    assert report.restored
    record = await read_hold(resources.redis, ev, hold_id)
    assert record is not None
    assert record.status == "checking_out"
    assert record.payment_intent_id == checkout["payment_intent_id"]
    assert record.order_id == checkout["order_id"]
    assert h.inventory(settings, ev)["held"] == 2
    # The fan never paid: at its deadline the sweeper cancels and returns the seats.
    assert await sweeper.settle_checkout(resources, ev, hold_id) == "expired"
    assert h.inventory(settings, ev) == {"capacity": 20, "available": 20, "held": 0, "sold": 0}
    assert h.intent(stripe_base, checkout["payment_intent_id"])["status"] == "canceled"
