"""Giving seats back (DELETE /api/v1/holds/{id}), including a hold whose checkout nobody paid.

An active hold is released by release_hold.lua. A hold in checkout whose
PaymentIntent waits for a card (the fan failed the bank's 3-D Secure step, or
never finished it) is the fan's too: its PaymentIntent is cancelled first, so
nothing can be charged for seats that are on sale again, then the seats go
back (expire_checkout.lua, only while the hold is still in checkout with that
PaymentIntent) and the pending order is cancelled. A payment that Stripe
authorized meanwhile, or one at the bank (processing), is not given up: the
first is finalized (never lose a sale) and both answer 409 hold_not_active.
"""

from __future__ import annotations

import logging

import stripe

from app.core.clock import now_ms
from app.core.errors import AppError, unavailable
from app.core.metrics import HOLDS, PAYMENTS
from app.core.resources import Resources
from app.core.security import Principal
from app.holds import service as holds
from app.holds.errors import hold_not_active
from app.holds.ids import event_of_hold
from app.holds.record import read_hold
from app.holds.scripts import hold_scripts
from app.orders import repo
from app.orders.finalize import finalize_payment
from app.payments.gateway import AUTHORIZED, UNDECIDED, gateway

log = logging.getLogger("onsale.checkout.release")


async def release(res: Resources, principal: Principal, hold_id: str) -> None:
    try:
        await holds.release_hold(res.scripts, principal.user_id, hold_id)
    except AppError as exc:
        if exc.code != "hold_not_active":
            raise
        await _release_unpaid_checkout(res, principal, hold_id, exc)


async def _release_unpaid_checkout(
    res: Resources, principal: Principal, hold_id: str, refusal: AppError
) -> None:
    event_id = event_of_hold(hold_id)
    hold = await read_hold(res.redis, event_id, hold_id) if event_id else None
    if (
        hold is None
        or hold.user_id != principal.user_id
        or hold.status != "checking_out"
        or not hold.payment_intent_id
    ):
        raise refusal
    pi = hold.payment_intent_id
    gw = gateway(res.settings)
    try:
        intent = await gw.retrieve(pi)
        if intent.status in UNDECIDED:
            intent = await gw.cancel(pi)
            PAYMENTS.labels("abandoned_cancelled").inc()
    except stripe.StripeError as exc:
        log.warning("could not cancel %s to release %s: %s", pi, hold_id, exc)
        raise unavailable("stripe") from None
    if intent.status in AUTHORIZED:  # paid before the fan gave up: the sale stands
        await finalize_payment(res, pi, intent)
        raise hold_not_active("converted")
    if intent.status != "canceled":  # processing: the bank decides, then the sweeper
        raise refusal
    if await hold_scripts(res.scripts).expire_checkout(hold.event_id, hold_id, pi, now_ms()):
        HOLDS.labels("released").inc()
    if hold.order_id:
        await repo.cancel_order(res.pool, hold.order_id, "payment_canceled", pi)
