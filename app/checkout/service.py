"""Checkout: one PaymentIntent per hold (manual capture), the hold into checkout, a pending order.

Order of steps and why:

1. the hold must be the caller's and active (Redis record);
2. the PaymentIntent is created with an idempotency key derived from the
   hold and the attempt it follows (a retry after a declined card cancels
   the declined PaymentIntent and creates the next one), and journaled
   (payment_intents) before anyone can pay it: if Postgres cannot take the
   journal row the PaymentIntent is cancelled and the request fails (503);
3. begin_checkout.lua moves the hold to `checking_out` atomically: of two
   racing checkouts only one attaches its PaymentIntent, the other returns
   the winner's (and cancels its own, for stand-ins that ignore the key);
   a hold that expired or vanished meanwhile cancels the PaymentIntent;
4. with `payment_method` the PaymentIntent is confirmed server-side: a
   decline puts the hold back to `active` (abort_checkout.lua) and answers
   402 payment_declined without any order;
5. the pending order is written (unique on hold id: once); if that write
   fails the PaymentIntent is cancelled (its authorization voided) and the
   hold goes back to `active`, so a retry after the outage starts clean and
   returns the same, readable order_id; an authorization queues the
   finalize job at once (no need to wait for the webhook).
6. a card that needs 3-D Secure leaves the PaymentIntent in
   `requires_action` with the hold in checkout and the order pending: the
   answer says `requires_action` and the fan's app authenticates with
   `client_secret`, then reports it (orders' payment-confirmed). A failed
   authentication puts the PaymentIntent back to `requires_payment_method`;
   a new checkout of the hold with another `payment_method` confirms that same
   PaymentIntent again (same order, the hold stays in checkout; a decline
   there is a 402 and leaves it so). Not retried, the checkout sweeper
   cancels it at the hold's deadline and the seats go back on sale.

The payment reconciler (app/orders/reconciler.py) settles any journaled
PaymentIntent a crash left between these steps.

While in checkout the hold is out of the expiry index; its deadline is the
hold's own expires_at, when the checkout sweeper asks Stripe (see
app/checkout/sweeper.py for the bound).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging

import stripe

from app.auth import recovery
from app.checkout.schemas import Checkout, CheckoutIn
from app.core.clock import now_ms
from app.core.errors import AppError, not_found, unavailable
from app.core.ids import new_id
from app.core.metrics import PAYMENTS
from app.core.resources import Resources
from app.core.security import Principal
from app.holds.errors import hold_expired, hold_not_active
from app.holds.ids import event_of_hold
from app.holds.record import HoldRecord, read_hold
from app.holds.scripts import Begin, hold_scripts
from app.money import repo as money_repo
from app.money.pricing import MoneyRules, Price
from app.money.service import price_of_hold
from app.orders import repo
from app.orders.purchase import Purchase
from app.payments import journal
from app.payments.gateway import (
    AUTHORIZED,
    CANCELLABLE,
    UNDECIDED,
    Intent,
    PaymentDeclined,
    gateway,
)
from app.payments.jobs import enqueue_finalize
from waiting_room import signals

log = logging.getLogger("onsale.checkout")


def payment_declined(message: str) -> AppError:
    return AppError(
        "payment_declined",
        402,
        "Payment declined",
        f"{message} Your seats stay held until the hold expires: try another card.",
    )


def payment_method_rejected(exc: stripe.InvalidRequestError) -> AppError:
    """Stripe refused the payment method itself (unknown, or not usable for this intent)."""
    return AppError(
        "invalid_request",
        422,
        "Invalid request",
        f"payment_method: {exc.user_message or exc}",
    )


def _present(
    intent: Intent, hold: HoldRecord, order_id: str, order_status: str = "pending"
) -> Checkout:
    return Checkout(
        order_id=order_id,
        payment_intent_id=intent.id,
        client_secret=intent.client_secret,
        # What the PaymentIntent asks for: the tickets with their fees and tax.
        amount_cents=intent.amount,
        currency=hold.currency,
        payment_status=intent.status,
        order_status=order_status,
        requires_action=intent.status == "requires_action",
    )


async def checkout(
    res: Resources, principal: Principal, hold_id: str, data: CheckoutIn
) -> Checkout:
    hold = await _own_hold(res, principal, hold_id)
    purchase = Purchase.of_hold(hold)
    try:
        if hold.status in ("checking_out", "converted") and hold.payment_intent_id:
            if hold.status == "checking_out" and data.payment_method:
                retried = await _retry_unpaid(res, hold, hold.payment_intent_id, data)
                if retried is not None:
                    return _present(retried, hold, hold.order_id or purchase.order_id)
            return await _existing(
                res, hold, hold.payment_intent_id, hold.order_id or purchase.order_id
            )
        _check_startable(hold)
        # Off the hot path (holds): reads only when a payment is about to start.
        await recovery.check_purchase(res.pool, hold.event_id, principal.user_id)
        price, rules = await price_of_hold(res.pool, hold)
        purchase = _priced(purchase, price)
        intent = await _new_intent(res, hold, purchase)
        await _journal(res, purchase, intent.id)
        began = await hold_scripts(res.scripts).begin_checkout(
            hold.event_id,
            hold_id,
            user_id=principal.user_id,
            payment_intent_id=intent.id,
            order_id=purchase.order_id,
            now=now_ms(),
        )
        if began.code is Begin.ALREADY:
            if began.payment_intent_id != intent.id:
                # Lost the race: only one PaymentIntent per hold.
                await _cancel_quietly(res, intent.id)
            return await _existing(res, hold, began.payment_intent_id, began.order_id)
        if began.code is not Begin.BEGAN:
            # The hold expired or vanished since it was read: nobody may pay for it.
            await _cancel_quietly(res, intent.id)
            _check_began(began.code)
        if data.payment_method:
            intent = await _confirm(res, hold, intent, data.payment_method)
        await _write_order(res, hold, purchase, intent, price, rules)
        signals.observe_payment(hold.event_id, ok=True)
        if intent.status in AUTHORIZED:
            PAYMENTS.labels("authorized").inc()
            await enqueue_finalize(res.arq, intent.id)
        return _present(intent, hold, purchase.order_id)
    except stripe.StripeError as exc:
        log.warning("stripe error in checkout of %s: %s", hold_id, exc)
        signals.observe_payment(hold.event_id, ok=False)
        raise unavailable("stripe") from None


async def _journal(res: Resources, purchase: Purchase, payment_intent_id: str) -> None:
    """Journal the PaymentIntent for the reconciler; if Postgres cannot, nobody may pay it."""
    try:
        await journal.record_payment_intent(
            res.pool,
            payment_intent_id=payment_intent_id,
            order_id=purchase.order_id,
            hold_id=purchase.hold_id,
            event_id=purchase.event_id,
        )
    except BaseException:
        await _cancel_quietly(res, payment_intent_id, settle=False)
        raise


def _priced(purchase: Purchase, price: Price) -> Purchase:
    """The purchase at what the fan pays: the hold's tickets with their fees and tax."""
    return dataclasses.replace(purchase, amount_cents=price.total_cents)


async def _write_order(
    res: Resources,
    hold: HoldRecord,
    purchase: Purchase,
    intent: Intent,
    price: Price,
    rules: MoneyRules,
) -> None:
    """The pending order with what it is charged; if it cannot be written, the payment is
    undone (authorization voided, hold active again) so no money waits on an order nobody
    can read."""
    try:
        async with res.pool.acquire() as conn, conn.transaction():
            await repo.upsert_pending_order(conn, purchase, intent.id)
            await money_repo.put_order_charges(conn, purchase.order_id, price, rules)
    except BaseException:
        await _cancel_quietly(res, intent.id, settle=False, authorized_too=True)
        await hold_scripts(res.scripts).abort_checkout(hold.event_id, hold.hold_id, intent.id)
        raise


async def _own_hold(res: Resources, principal: Principal, hold_id: str) -> HoldRecord:
    """The caller's hold record; anyone else's (or an unknown id) is 404."""
    event_id = event_of_hold(hold_id)
    if event_id is None:
        raise not_found("Hold")
    hold = await read_hold(res.redis, event_id, hold_id)
    if hold is None or hold.user_id != principal.user_id:
        raise not_found("Hold")
    return hold


def _check_startable(hold: HoldRecord) -> None:
    if hold.status == "expired":
        raise hold_expired()
    if hold.status != "active":
        raise hold_not_active(hold.status)
    if hold.expires_at_ms <= now_ms():
        raise hold_expired()


def _check_began(code: Begin) -> None:
    if code in (Begin.NOT_FOUND, Begin.NOT_OWNER):
        raise not_found("Hold")
    if code is Begin.NOT_ACTIVE:
        raise hold_not_active("no longer active")
    if code is Begin.EXPIRED:
        raise hold_expired()


async def _new_intent(res: Resources, hold: HoldRecord, purchase: Purchase) -> Intent:
    """A new PaymentIntent per attempt.

    The key is derived from the hold and the attempt it follows, so a retried
    request finds the same one, and a retry after a declined card gets a
    fresh one (the declined one is cancelled: one live PaymentIntent per hold).
    """
    previous = hold.payment_intent_id
    if previous:
        await _cancel_quietly(res, previous)
    return await gateway(res.settings).create_intent(
        amount_cents=purchase.amount_cents,
        currency=hold.currency,
        metadata=purchase.metadata(),
        idempotency_key=f"onsale:hold:{hold.hold_id}:after:{previous or 'none'}",
    )


async def _confirm(res: Resources, hold: HoldRecord, intent: Intent, payment_method: str) -> Intent:
    """Confirm server-side; a decline puts the hold back to active (402, no order)."""
    try:
        return await gateway(res.settings).confirm_with(
            intent.id, payment_method, f"onsale:{new_id()}"
        )
    except PaymentDeclined as exc:
        await hold_scripts(res.scripts).abort_checkout(hold.event_id, hold.hold_id, intent.id)
        PAYMENTS.labels("declined").inc()
        raise payment_declined(exc.message) from None
    except stripe.InvalidRequestError as exc:
        await hold_scripts(res.scripts).abort_checkout(hold.event_id, hold.hold_id, intent.id)
        raise payment_method_rejected(exc) from None


async def _retry_unpaid(
    res: Resources, hold: HoldRecord, payment_intent_id: str, data: CheckoutIn
) -> Intent | None:
    """Another card for a checkout the fan has not paid (3-D Secure failed, or the bank
    declined after it): confirm the same PaymentIntent with it, so the order and the hold's
    checkout stay as they are. None when the PaymentIntent is not waiting for a new card
    (paid, being authenticated or processing, or its first confirm still in flight): the
    caller answers with the checkout as is.

    A decline leaves the hold in checkout (402: the fan may try again until the hold's
    deadline, when the checkout sweeper cancels the PaymentIntent and returns the seats)."""
    gw = gateway(res.settings)
    intent = await gw.retrieve(payment_intent_id)
    # Only after a failed attempt: a PaymentIntent waiting for its first card is being
    # confirmed by the request that began the checkout (a double tap), and a second
    # confirm would race it.
    if (
        intent.status != "requires_payment_method"
        or not intent.failed_attempt
        or not data.payment_method
    ):
        return None
    if hold.expires_at_ms <= now_ms():
        raise hold_expired()  # the checkout sweeper settles it now
    try:
        intent = await gw.confirm_with(intent.id, data.payment_method, f"onsale:{new_id()}")
    except PaymentDeclined as exc:
        PAYMENTS.labels("declined").inc()
        raise payment_declined(exc.message) from None
    except stripe.InvalidRequestError as exc:
        raise payment_method_rejected(exc) from None
    if intent.status in AUTHORIZED:
        PAYMENTS.labels("authorized").inc()
        await enqueue_finalize(res.arq, intent.id)
    return intent


async def _cancel_quietly(
    res: Resources, payment_intent_id: str, *, settle: bool = True, authorized_too: bool = False
) -> None:
    """Cancel a PaymentIntent nobody will pay (declined, lost a race, hold gone, order not
    written); never fails the request: the payment reconciler retries what this could not."""
    gw = gateway(res.settings)
    cancellable = CANCELLABLE if authorized_too else UNDECIDED
    try:
        current = await gw.retrieve(payment_intent_id)
        if current.status in cancellable:
            await gw.cancel(payment_intent_id)
    except stripe.StripeError as exc:
        log.warning("could not cancel %s: %s", payment_intent_id, exc)
        return
    if settle:
        with contextlib.suppress(Exception):
            await journal.settle_payment_intent(res.pool, payment_intent_id, "cancelled")


async def _existing(
    res: Resources, hold: HoldRecord, payment_intent_id: str, order_id: str
) -> Checkout:
    """The checkout that already exists for this hold (natural idempotency); its order is
    readable (written now if an earlier attempt could not)."""
    intent = await gateway(res.settings).retrieve(payment_intent_id)
    order = await repo.order_by_id(res.pool, order_id)
    if order is None:
        price, rules = await price_of_hold(res.pool, hold)
        purchase = _priced(Purchase.of_hold(hold), price)
        async with res.pool.acquire() as conn, conn.transaction():
            await repo.insert_order(conn, purchase, payment_intent_id)
            await money_repo.put_order_charges(conn, purchase.order_id, price, rules)
        order = await repo.order_by_id(res.pool, order_id)
    return _present(intent, hold, order_id, order["status"] if order is not None else "pending")
