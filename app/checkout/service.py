"""Checkout: one PaymentIntent per hold (manual capture), the hold into checkout, a pending order.

Order of steps and why:

1. the hold must be the caller's and active (Redis record);
2. the PaymentIntent is created with an idempotency key derived from the
   hold and the attempt it follows (a retry after a declined card cancels
   the declined PaymentIntent and creates the next one);
3. begin_checkout.lua moves the hold to `checking_out` atomically: of two
   racing checkouts only one attaches its PaymentIntent, the other returns
   the winner's (and cancels its own, for stand-ins that ignore the key);
4. with `payment_method` the PaymentIntent is confirmed server-side: a
   decline puts the hold back to `active` (abort_checkout.lua) and answers
   402 payment_declined without any order; an authorization queues the
   finalize job at once (no need to wait for the webhook);
5. the pending order is written (unique on hold id: once).

While in checkout the hold is out of the expiry index; its deadline is the
hold's own expires_at, when the checkout sweeper asks Stripe (see
app/checkout/sweeper.py for the bound).
"""

from __future__ import annotations

import logging

import stripe

from app.checkout import holdops
from app.checkout.holdops import Begin, HoldRecord
from app.checkout.schemas import Checkout, CheckoutIn
from app.core.errors import AppError, not_found, unavailable
from app.core.ids import new_id, utcnow
from app.core.metrics import PAYMENTS
from app.core.security import Principal
from app.holds.ids import event_of_hold
from app.orders import repo
from app.orders.finalize import order_id_for
from app.payments.gateway import AUTHORIZED, UNDECIDED, Intent, PaymentDeclined, gateway
from app.payments.jobs import enqueue_finalize
from app.state import Resources

log = logging.getLogger("onsale.checkout")


def hold_expired() -> AppError:
    return AppError(
        "hold_expired", 409, "Hold expired", "This hold has expired; its seats are back on sale"
    )


def hold_not_active(status: str) -> AppError:
    return AppError("hold_not_active", 409, "Hold not active", f"This hold is {status}")


def payment_declined(message: str) -> AppError:
    return AppError(
        "payment_declined",
        402,
        "Payment declined",
        f"{message} Your seats stay held until the hold expires: try another card.",
    )


def _now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


def _present(
    intent: Intent, hold: HoldRecord, order_id: str, order_status: str = "pending"
) -> Checkout:
    return Checkout(
        order_id=order_id,
        payment_intent_id=intent.id,
        client_secret=intent.client_secret,
        amount_cents=hold.amount_cents,
        currency=hold.currency,
        payment_status=intent.status,
        order_status=order_status,
    )


async def checkout(
    resources: Resources, principal: Principal, hold_id: str, data: CheckoutIn
) -> Checkout:
    event_id = event_of_hold(hold_id)
    if event_id is None:
        raise not_found("Hold")
    hold = await holdops.read_hold(resources.redis, event_id, hold_id)
    if hold is None or hold.user_id != principal.user_id:
        raise not_found("Hold")
    gw = gateway(resources.settings)
    order_id = order_id_for(hold_id)
    try:
        if hold.status in ("checking_out", "converted") and hold.payment_intent_id:
            return await _existing(
                resources, hold, hold.payment_intent_id, hold.order_id or order_id
            )
        if hold.status == "expired":
            raise hold_expired()
        if hold.status != "active":
            raise hold_not_active(hold.status)
        if hold.expires_at_ms <= _now_ms():
            raise hold_expired()

        # A new PaymentIntent per attempt: the key is derived from the hold and
        # the attempt it follows, so a retried request finds the same one, and a
        # retry after a declined card gets a fresh one (the declined one is
        # cancelled: one live PaymentIntent per hold).
        previous = hold.payment_intent_id
        if previous:
            await _cancel_quietly(resources, previous)
        intent = await gw.create_intent(
            amount_cents=hold.amount_cents,
            currency=hold.currency,
            metadata={
                "hold_id": hold_id,
                "event_id": event_id,
                "order_id": order_id,
                "user_id": hold.user_id,
                "section": hold.section,
                "quantity": str(hold.quantity),
            },
            idempotency_key=f"onsale:hold:{hold_id}:after:{previous or 'none'}",
        )

        began = await holdops.begin_checkout(
            resources.scripts,
            event_id,
            hold_id,
            user_id=principal.user_id,
            payment_intent_id=intent.id,
            order_id=order_id,
            now_ms=_now_ms(),
        )
        if began.code is Begin.ALREADY:
            if began.payment_intent_id != intent.id:
                await _cancel_quietly(
                    resources, intent.id
                )  # lost the race: only one PaymentIntent per hold
            return await _existing(resources, hold, began.payment_intent_id, began.order_id)
        if began.code in (Begin.NOT_FOUND, Begin.NOT_OWNER):
            raise not_found("Hold")
        if began.code is Begin.NOT_ACTIVE:
            raise hold_not_active("no longer active")
        if began.code is Begin.EXPIRED:
            raise hold_expired()

        if data.payment_method:
            try:
                intent = await gw.confirm_with(intent.id, data.payment_method, f"onsale:{new_id()}")
            except PaymentDeclined as exc:
                await holdops.abort_checkout(resources.scripts, event_id, hold_id, intent.id)
                PAYMENTS.labels("declined").inc()
                raise payment_declined(exc.message) from None
            except stripe.InvalidRequestError as exc:
                await holdops.abort_checkout(resources.scripts, event_id, hold_id, intent.id)
                raise AppError(
                    "invalid_request",
                    422,
                    "Invalid request",
                    f"payment_method: {exc.user_message or exc}",
                ) from None

        await repo.insert_order(
            resources.pool,
            order_id=order_id,
            event_id=event_id,
            user_id=hold.user_id,
            hold_id=hold_id,
            section=hold.section,
            quantity=hold.quantity,
            amount_cents=hold.amount_cents,
            currency=hold.currency,
            payment_intent_id=intent.id,
        )
        if intent.status in AUTHORIZED:
            PAYMENTS.labels("authorized").inc()
            await enqueue_finalize(resources.arq, intent.id)
        return _present(intent, hold, order_id)
    except stripe.StripeError as exc:
        log.warning("stripe error in checkout of %s: %s", hold_id, exc)
        raise unavailable("stripe") from None


async def _cancel_quietly(resources: Resources, payment_intent_id: str) -> None:
    """Cancel a PaymentIntent nobody will pay (declined, lost a race); never fails the request."""
    gw = gateway(resources.settings)
    try:
        current = await gw.retrieve(payment_intent_id)
        if current.status in UNDECIDED:
            await gw.cancel(payment_intent_id)
    except stripe.StripeError as exc:
        log.warning("could not cancel %s: %s", payment_intent_id, exc)


async def _existing(
    resources: Resources, hold: HoldRecord, payment_intent_id: str, order_id: str
) -> Checkout:
    """The checkout that already exists for this hold (natural idempotency)."""
    intent = await gateway(resources.settings).retrieve(payment_intent_id)
    order = await repo.order_by_id(resources.pool, order_id)
    return _present(intent, hold, order_id, order["status"] if order is not None else "pending")
