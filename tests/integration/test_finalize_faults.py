"""Finalize through its public entry point under faults: concurrent runs, retries, errors
between its steps (real Redis, Postgres and localstripe; jobs run in the test process)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import msgspec
import pytest

from app.core.resources import Resources
from app.core.settings import Settings
from app.orders import finalize
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def on_sale(api: Api, capacity: int = 20, **overrides: Any) -> str:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": capacity}]
    event = await api.event(org, sections=sections, **overrides)
    event_id: str = event["event_id"]
    return event_id


async def paid_checkout(
    api: Api, settings: Settings, event_id: str, quantity: int = 2
) -> tuple[Any, dict[str, Any]]:
    """A fan's hold checked out with a card: authorized, not yet finalized."""
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, event_id, fan, quantity)
    assert r.status_code == 201, r.text
    r = await h.checkout(api.client, fan, r.json()["hold_id"])
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    assert body["payment_status"] == "requires_capture"
    return fan, body


async def test_concurrent_finalize_runs_confirm_once(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    event_id = await on_sale(api)
    _, checkout = await paid_checkout(api, settings, event_id, 3)
    pi = checkout["payment_intent_id"]
    outcomes = await asyncio.gather(*(finalize.finalize_payment(resources, pi) for _ in range(4)))
    assert set(outcomes) == {"confirmed"}
    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["orders"] == counts["confirmed"] == 1
    assert counts["tickets"] == 3
    assert counts["sold"] == 3
    assert counts["payments"] == counts["captured"] == 1
    assert h.inventory(settings, event_id) == {
        "capacity": 20,
        "available": 17,
        "held": 0,
        "sold": 3,
    }
    assert h.captures(stripe_base, pi) == 1


async def test_finalize_job_failing_after_convert_is_retried_with_backoff(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    """Finding 1: an error after convert_hold (Postgres, Stripe) must rerun the job, bounded."""
    from arq.worker import Retry

    from workers import retry
    from workers.finalize import finalize_payment as job

    event_id = await on_sale(api)
    _, checkout = await paid_checkout(api, settings, event_id, 2)
    pi = checkout["payment_intent_id"]
    broken = msgspec.structs.replace(settings, fault_inject="raise:after_redis_convert:1")
    ctx: dict[str, Any] = {"resources": dataclasses.replace(resources, settings=broken)}
    defers = []
    for job_try in range(1, retry.MAX_TRIES):
        with pytest.raises(Retry) as raised:
            await job({**ctx, "job_try": job_try, "job_id": f"finalize:{pi}"}, pi)
        defers.append(raised.value.defer_score / 1000)
    assert 0 < defers[0] <= 2
    assert all(0 < d <= retry.MAX_DEFER_S * 1.2 for d in defers)
    assert defers[-1] > defers[0]  # backoff grows
    # The last try gives up (the reconciler takes over) instead of retrying forever.
    with pytest.raises(finalize.InjectedFault):
        await job({**ctx, "job_try": retry.MAX_TRIES, "job_id": f"finalize:{pi}"}, pi)
    # Seats were converted in Redis, nothing in Postgres yet: the stuck state of finding 1.
    assert h.inventory(settings, event_id)["sold"] == 2
    assert (await h.db_counts(settings.database_url, event_id))["confirmed"] == 0
    # Once the fault is gone, the next try confirms, captures, once.
    ok = {"resources": resources, "job_try": 2, "job_id": f"finalize:{pi}"}
    assert await job(ok, pi) == "confirmed"
    counts = await h.db_counts(settings.database_url, event_id)
    assert (counts["confirmed"], counts["tickets"], counts["sold"], counts["captured"]) == (
        1,
        2,
        2,
        1,
    )
    assert h.captures(stripe_base, pi) == 1


async def test_record_captured_never_overwrites_refunded(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """Finding 8: a late capture mark must not turn a refunded payment back into captured."""
    from app.payments import repo
    from app.payments.captured import record_captured

    event_id = await on_sale(api)
    _, checkout = await paid_checkout(api, settings, event_id, 1)
    pi = checkout["payment_intent_id"]
    assert await finalize.finalize_payment(resources, pi) == "confirmed"
    await repo.mark_payment_refunded(resources.pool, pi)
    await record_captured(resources.pool, pi)
    sql = "SELECT status FROM payments WHERE payment_intent_id = $1"
    status = await resources.pool.fetchval(sql, pi)
    assert status == "refunded"


async def test_the_first_try_starts_from_the_webhooks_intent_and_a_retry_reads_it_back(
    api: Api, settings: Settings, resources: Resources, stripe_base: str
) -> None:
    """A webhook's authorized PaymentIntent saves the first try its read-back; a retry must
    not trust it (whatever failed may have moved the PaymentIntent) and asks Stripe."""
    from workers.finalize import finalize_payment as job

    event_id = await on_sale(api)
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, event_id, fan, 2)
    r = await h.checkout(api.client, fan, r.json()["hold_id"], None)
    assert r.status_code == 201, r.text
    pi = r.json()["payment_intent_id"]
    unpaid = h.intent(stripe_base, pi)
    assert unpaid["status"] == "requires_payment_method"
    # A retried job whose snapshot says authorized, while Stripe says nobody paid yet.
    stale = {**unpaid, "status": "requires_capture"}
    retried = {"resources": resources, "job_try": 2, "job_id": f"finalize:{pi}"}
    assert await job(retried, pi, stale) == "requires_payment_method"
    assert (await h.db_counts(settings.database_url, event_id))["confirmed"] == 0
    assert h.inventory(settings, event_id)["sold"] == 0

    paid = h.confirm_as_app(stripe_base, pi)
    assert paid["status"] == "requires_capture"
    first = {"resources": resources, "job_try": 1, "job_id": f"finalize:{pi}"}
    assert await job(first, pi, paid) == "confirmed"
    counts = await h.db_counts(settings.database_url, event_id)
    assert (counts["confirmed"], counts["tickets"], counts["captured"]) == (1, 2, 1)
    assert h.inventory(settings, event_id)["sold"] == 2
    assert h.captures(stripe_base, pi) == 1
