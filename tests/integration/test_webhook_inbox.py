"""app.payments.inbox: concurrent webhook deliveries recorded in one statement, each learning
whether it is the event's first delivery."""

from __future__ import annotations

import asyncio
import json
import uuid

from app.core.resources import Resources
from app.payments.inbox import record_event
from app.payments.webhooks import StripeEvent


def _event(
    event_id: str, pi: str | None = None, body: str | None = None
) -> tuple[StripeEvent, str]:
    payload = {"id": event_id, "type": "payment_intent.succeeded", "data": {"object": {"id": pi}}}
    event = StripeEvent(
        id=event_id, type="payment_intent.succeeded", payment_intent_id=pi, payload=payload
    )
    return event, body if body is not None else json.dumps(payload)


async def test_each_event_is_new_once_whatever_the_batch(resources: Resources) -> None:
    ids = [f"evt_{uuid.uuid4().hex[:12]}" for _ in range(20)]
    deliveries = [_event(i, f"pi_{n}") for n, i in enumerate(ids)] * 3  # each event thrice
    answers = await asyncio.gather(*(record_event(resources.pool, e, b) for e, b in deliveries))
    firsts = [deliveries[n][0].id for n, new in enumerate(answers) if new]
    assert sorted(firsts) == sorted(ids)  # each event new exactly once
    rows = await resources.pool.fetch(
        "SELECT stripe_event_id, payment_intent_id, payload FROM webhook_events"
        " WHERE stripe_event_id = ANY($1::text[])",
        ids,
    )
    assert len(rows) == 20
    for row in rows:
        assert row["payload"]["id"] == row["stripe_event_id"]
    # Redelivered later, alone or together: never new again.
    again = await asyncio.gather(*(record_event(resources.pool, e, b) for e, b in deliveries[:20]))
    assert not any(again)


async def test_a_payload_postgres_refuses_fails_only_its_own_delivery(resources: Resources) -> None:
    good = [_event(f"evt_{uuid.uuid4().hex[:12]}") for _ in range(6)]
    bad = _event(f"evt_{uuid.uuid4().hex[:12]}", body='{"nul": "\\u0000"}')  # jsonb refuses
    results = await asyncio.gather(
        *(record_event(resources.pool, e, b) for e, b in [*good[:3], bad, *good[3:]]),
        return_exceptions=True,
    )
    assert isinstance(results[3], Exception)
    assert [r for n, r in enumerate(results) if n != 3] == [True] * 6
