"""POST /api/v1/webhooks/stripe: verify, record once, queue the work, answer at once."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, post

from app.core.resources import Resources
from app.payments import repo
from app.payments.inbox import record_event
from app.payments.jobs import enqueue_finalize
from app.payments.webhooks import PAYMENT_EVENTS, authorized_snapshot, verify_event


class WebhookAck(msgspec.Struct):
    received: bool
    duplicate: bool = False


@post(
    "/api/v1/webhooks/stripe",
    operation_id="stripeWebhook",
    tags=["payments"],
    status_code=200,
    description="Stripe events, verified with Stripe-Signature on the raw body (tolerance 300 s).",
)
async def stripe_webhook(request: Request[Any, Any, Any], resources: Resources) -> WebhookAck:
    payload = await request.body()
    event = verify_event(
        payload, request.headers.get("stripe-signature"), resources.settings.stripe_webhook_secret
    )
    # Shares its insert and commit with the concurrent deliveries (app/payments/inbox.py).
    new = await record_event(resources.pool, event, payload.decode())
    if not new:
        # A redelivery (processed or not) or a concurrent duplicate: the first
        # delivery queued the job; the payment reconciler settles anything a
        # crashed job left.
        return WebhookAck(received=True, duplicate=True)
    if event.type in PAYMENT_EVENTS and event.payment_intent_id:
        try:
            await enqueue_finalize(
                resources.arq, event.payment_intent_id, authorized_snapshot(event)
            )
        except Exception:
            # Not queued: forget the delivery so Stripe's retry counts as new.
            await repo.delete_webhook_event(resources.pool, event.id)
            raise
    return WebhookAck(received=True)


ROUTES = [stripe_webhook]
