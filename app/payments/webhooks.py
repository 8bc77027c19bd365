"""Stripe webhook signature verification on the raw body and event parsing."""

from __future__ import annotations

from typing import Any

import msgspec
import stripe

from app.core.errors import AppError
from app.payments.gateway import AUTHORIZED

# Stripe's own default: a signature older than five minutes is a replay.
TOLERANCE_S = 300

# Events whose PaymentIntent must be settled by the finalize job.
PAYMENT_EVENTS = frozenset(
    {
        "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
    }
)


# Events whose PaymentIntent says it is authorized: the finalize job may start from it.
AUTHORIZED_EVENTS = frozenset(
    {"payment_intent.amount_capturable_updated", "payment_intent.succeeded"}
)
# What the finalize job reads of a PaymentIntent (app.payments.gateway.Intent; no secret).
_SNAPSHOT_FIELDS = ("id", "object", "status", "amount", "currency", "metadata", "amount_received")


class StripeEvent(msgspec.Struct, frozen=True):
    """What the webhook keeps of a Stripe event."""

    id: str
    type: str
    payment_intent_id: str | None
    payload: dict[str, Any]


def authorized_snapshot(event: StripeEvent) -> dict[str, Any] | None:
    """The PaymentIntent of a verified authorization event, as the finalize job reads it
    (the job then skips its read-back from Stripe); None for any other event or shape."""
    if event.type not in AUTHORIZED_EVENTS or not event.payment_intent_id:
        return None
    obj = event.payload.get("data", {}).get("object")
    if not isinstance(obj, dict) or obj.get("object") != "payment_intent":
        return None
    if obj.get("status") not in AUTHORIZED or not isinstance(obj.get("metadata"), dict):
        return None
    if not isinstance(obj.get("amount"), int) or not isinstance(obj.get("currency"), str):
        return None
    return {k: obj[k] for k in _SNAPSHOT_FIELDS if k in obj}


def invalid_signature(detail: str) -> AppError:
    return AppError("invalid_signature", 400, "Invalid signature", detail)


def verify_event(payload: bytes, header: str | None, secret: str) -> StripeEvent:
    """The verified event, or AppError invalid_signature (bad, missing or stale signature)."""
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=TOLERANCE_S)
    except stripe.SignatureVerificationError as exc:
        raise invalid_signature(str(exc).split(";")[0]) from None
    try:
        body = msgspec.json.decode(payload)
    except msgspec.DecodeError:
        raise AppError("invalid_request", 400, "Invalid request", "Body is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        raise AppError("invalid_request", 400, "Invalid request", "Not a Stripe event")
    event_type = body.get("type")
    data = body.get("data", {})
    # Signed does not mean well-formed: a shape we cannot read is a 400, not a 500.
    if not isinstance(event_type, str) or not isinstance(data, dict):
        raise AppError("invalid_request", 400, "Invalid request", "Not a Stripe event")
    obj = data.get("object") or {}
    pi_id: str | None = None
    if isinstance(obj, dict):
        if obj.get("object") == "payment_intent":
            candidate = obj.get("id")
            pi_id = candidate if isinstance(candidate, str) else None
        elif isinstance(obj.get("payment_intent"), str):
            pi_id = obj["payment_intent"]
    return StripeEvent(id=body["id"], type=event_type, payment_intent_id=pi_id, payload=body)
