"""The checkout sweeper: settles holds whose checkout deadline passed, after asking Stripe.

A hold in checkout is kept off the expiry index. At its deadline (the hold's
own expires_at) the sweeper reads the PaymentIntent:

- authorized (requires_capture) or succeeded: finalize now (webhook lost or late);
- processing (the bank has not answered): keep the seats, re-check every
  PROCESSING_RECHECK_MS, up to the bound `expires_at + checkout_grace_s`
  (ONSALE_CHECKOUT_GRACE_S, default 900 s); past the bound the seats go back
  on sale and a payment that still succeeds later is a late payment
  (seats retaken if any are left, else cancelled/refunded);
- requires_payment_method / requires_confirmation / requires_action (the fan
  never completed the payment) or canceled: cancel the PaymentIntent, return
  the seats, cancel the pending order.
"""

from __future__ import annotations

import logging

import stripe

from app.checkout import holdops
from app.core import keys
from app.core.ids import utcnow
from app.core.metrics import HOLDS, PAYMENTS
from app.orders import repo
from app.orders.finalize import Deps, finalize_payment
from app.payments.gateway import AUTHORIZED, UNDECIDED, gateway

log = logging.getLogger("onsale.checkout.sweeper")

PROCESSING_RECHECK_MS = 30_000
BATCH = 200


def _now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


async def sweep_all(deps: Deps) -> dict[str, int]:
    """One pass over every live event's due checkouts; outcome -> count."""
    outcomes: dict[str, int] = {}
    for event_id in sorted(await deps.redis.smembers(keys.live_events())):  # type: ignore[misc]
        due: list[str] = await deps.redis.zrangebyscore(
            keys.checkouts(event_id), "-inf", _now_ms(), start=0, num=BATCH
        )
        for hold_id in due:
            try:
                outcome = await settle_checkout(deps, event_id, hold_id)
            except stripe.StripeError as exc:  # Stripe unreachable: next tick
                log.warning("checkout %s not settled: %s", hold_id, exc)
                outcome = "stripe_error"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


async def settle_checkout(deps: Deps, event_id: str, hold_id: str) -> str:
    hold = await holdops.read_hold(deps.redis, event_id, hold_id)
    if hold is None or hold.status != "checking_out" or not hold.payment_intent_id:
        await deps.redis.zrem(keys.checkouts(event_id), hold_id)
        return "gone"
    pi = hold.payment_intent_id
    gw = gateway(deps.settings)
    try:
        intent = await gw.retrieve(pi)
        status = intent.status
    except stripe.InvalidRequestError:
        status = "missing"  # unknown to Stripe: nothing can ever be charged
    if status in AUTHORIZED:
        return "finalized:" + await finalize_payment(deps, pi)
    now = _now_ms()
    bound = hold.expires_at_ms + deps.settings.checkout_grace_s * 1000
    if status == "processing":
        if now < bound:
            await holdops.extend_checkout(
                deps.scripts, event_id, hold_id, pi, min(now + PROCESSING_RECHECK_MS, bound)
            )
            return "extended"
        await holdops.expire_checkout(deps.scripts, event_id, hold_id, pi, now)
        HOLDS.labels("checkout_expired").inc()
        return "expired_processing"
    if status in UNDECIDED:
        intent = await gw.cancel(pi)
        PAYMENTS.labels("abandoned_cancelled").inc()
        if intent.status in AUTHORIZED:  # paid at the very last moment
            return "finalized:" + await finalize_payment(deps, pi)
    if await holdops.expire_checkout(deps.scripts, event_id, hold_id, pi, now):
        HOLDS.labels("checkout_expired").inc()
    if hold.order_id:
        await repo.cancel_order(deps.pool, hold.order_id, "checkout_expired", pi)
    return "expired"
