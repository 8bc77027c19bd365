"""Request and response bodies of notification preferences and integrator webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.core.rules import LINE

Topic = Literal["order.confirmed", "order.refunded", "sale.sold_out"]
Url = Annotated[
    str,
    msgspec.Meta(
        min_length=8, max_length=2000, pattern=r"^https?://[^\x00-\x20\x7F-\x9F]*(?![\s\S])"
    ),
]
Phone = Annotated[str, msgspec.Meta(pattern=r"^\+[1-9][0-9]{6,14}$")]
PushToken = Annotated[str, msgspec.Meta(min_length=1, max_length=4096), LINE]


class Preferences(msgspec.Struct):
    """Which channels a fan is told through (email on by default; SMS and push opt-in)."""

    email: bool = True
    sms: bool = False
    push: bool = False
    phone: Phone | None = None
    push_token: PushToken | None = None


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    url: Url
    topics: Annotated[list[Topic], msgspec.Meta(min_length=1, max_length=3)]


class Webhook(msgspec.Struct, omit_defaults=True):
    webhook_id: str
    url: str
    topics: list[str]
    active: bool
    created_at: datetime
    event_id: str | None = None
    # Shown once, in the response that creates the webhook: receivers verify with it.
    secret: str | None = None


class WebhookList(msgspec.Struct):
    items: list[Webhook]


class WebhookDelivery(msgspec.Struct):
    delivery_id: int
    topic: str
    status: Literal["pending", "sending", "sent", "dead"]
    attempts: int
    response_status: int | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None


class DeliveryList(msgspec.Struct):
    items: list[WebhookDelivery]
