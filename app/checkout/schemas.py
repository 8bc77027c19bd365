"""msgspec bodies of the checkout endpoint."""

from __future__ import annotations

from typing import Annotated

import msgspec

from app.core.rules import LINE


class CheckoutIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # A Stripe PaymentMethod id (test cards such as "pm_card_visa"): confirm
    # server-side. Without it the app confirms with `client_secret`.
    payment_method: Annotated[str, msgspec.Meta(min_length=3, max_length=255), LINE] | None = None


class Checkout(msgspec.Struct):
    order_id: str
    payment_intent_id: str
    client_secret: str
    amount_cents: int
    currency: str
    # Stripe's PaymentIntent status after this call (requires_capture = authorized).
    payment_status: str = ""
    order_status: str = "pending"
    requires_action: Annotated[
        bool,
        msgspec.Meta(
            description=(
                "The bank asks the fan to authenticate (3-D Secure; payment_status is "
                "requires_action): finish with Stripe.js confirmCardPayment(client_secret) "
                "or the mobile SDK's handleNextAction, then POST "
                "/api/v1/orders/{order_id}/payment-confirmed. A failed authentication leaves "
                "the hold in checkout until it expires: checking out again with another "
                "payment_method retries on the same PaymentIntent and order."
            )
        ),
    ] = False
