"""The Stripe webhook queues the finalize job once per event: never for a redelivery, once for
concurrent duplicates, and again when the first delivery could not queue it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
from arq.jobs import deserialize_job
from redis.asyncio import Redis

from app.core.settings import Settings
from tests.support import checkout as h
from tests.support.api import Api

QUEUE = "arq:queue"


async def _queued(settings: Settings) -> list[str]:
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        jobs: list[str] = await redis.zrange(QUEUE, 0, -1)
        return jobs
    finally:
        await redis.aclose()


async def _flush_queue(settings: Settings) -> None:
    """What a worker does to the queue when it ran the jobs."""
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        for job_id in await redis.zrange(QUEUE, 0, -1):
            await redis.delete(f"arq:job:{job_id}")
        await redis.delete(QUEUE)
    finally:
        await redis.aclose()


def _event(settings: Settings, pi: str, event_id: str) -> tuple[bytes, dict[str, str]]:
    return h.signed_event(
        settings.stripe_webhook_secret,
        "payment_intent.amount_capturable_updated",
        {"id": pi, "object": "payment_intent"},
        event_id=event_id,
    )


async def test_redelivered_processed_event_queues_no_job(api: Api, settings: Settings) -> None:
    pi, evt = f"pi_{uuid.uuid4().hex[:12]}", f"evt_{uuid.uuid4().hex[:12]}"
    body, headers = _event(settings, pi, evt)
    assert (await h.deliver(api.client, body, headers)).status_code == 200
    assert await _queued(settings) == [f"finalize:{pi}"]
    # The job ran and settled the PaymentIntent.
    await _flush_queue(settings)
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            "UPDATE webhook_events SET processed_at = now() WHERE payment_intent_id = $1", pi
        )
    finally:
        await conn.close()
    for _ in range(3):
        r = await h.deliver(api.client, body, headers)
        assert r.status_code == 200
        assert r.json() == {"received": True, "duplicate": True}
    assert await _queued(settings) == []


async def test_concurrent_duplicates_of_a_new_event_queue_exactly_one_job(
    api: Api, settings: Settings
) -> None:
    pi, evt = f"pi_{uuid.uuid4().hex[:12]}", f"evt_{uuid.uuid4().hex[:12]}"
    body, headers = _event(settings, pi, evt)
    responses = await asyncio.gather(*(h.deliver(api.client, body, headers) for _ in range(12)))
    assert {r.status_code for r in responses} == {200}
    assert sum(1 for r in responses if not r.json()["duplicate"]) == 1
    assert await _queued(settings) == [f"finalize:{pi}"]


async def _job_args(settings: Settings, job_id: str) -> tuple[Any, ...]:
    redis = Redis.from_url(settings.redis_url)
    try:
        raw = await redis.get(f"arq:job:{job_id}")
    finally:
        await redis.aclose()
    assert raw is not None
    return tuple(deserialize_job(raw).args)


async def test_an_authorization_event_hands_its_payment_intent_to_the_job(
    api: Api, settings: Settings
) -> None:
    """The job starts from a verified authorized PaymentIntent (no read-back from Stripe); it
    gets no secret, and nothing from any other event."""
    pi = f"pi_{uuid.uuid4().hex[:12]}"
    obj = {
        "id": pi,
        "object": "payment_intent",
        "status": "requires_capture",
        "amount": 10000,
        "currency": "eur",
        "amount_received": 0,
        "client_secret": f"{pi}_secret_x",
        "metadata": {"hold_id": "h", "order_id": "o"},
    }
    body, headers = h.signed_event(
        settings.stripe_webhook_secret, "payment_intent.amount_capturable_updated", obj
    )
    assert (await h.deliver(api.client, body, headers)).status_code == 200
    snapshot = {k: v for k, v in obj.items() if k != "client_secret"}
    assert await _job_args(settings, f"finalize:{pi}") == (pi, snapshot)
    await _flush_queue(settings)

    for event_type, status in (
        ("payment_intent.processing", "processing"),
        ("payment_intent.amount_capturable_updated", "requires_payment_method"),
    ):
        other = f"pi_{uuid.uuid4().hex[:12]}"
        body, headers = h.signed_event(
            settings.stripe_webhook_secret, event_type, {**obj, "id": other, "status": status}
        )
        assert (await h.deliver(api.client, body, headers)).status_code == 200
        assert await _job_args(settings, f"finalize:{other}") == (other,)
