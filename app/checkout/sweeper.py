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

import asyncio
import logging
import time
from collections import Counter

import stripe

from app.core import keys
from app.core.clock import now_ms
from app.core.metrics import HOLDS, PAYMENTS
from app.core.resources import Resources
from app.events.mirror import live_events
from app.holds.record import read_hold
from app.holds.scripts import hold_scripts
from app.orders import repo
from app.orders.finalize import finalize_payment
from app.payments.gateway import AUTHORIZED, UNDECIDED, gateway

log = logging.getLogger("onsale.checkout.sweeper")

PROCESSING_RECHECK_MS = 30_000
BATCH = 200
# Settlements in flight at once: each waits on Stripe (hundreds of ms for real), so a
# wave of abandoned checkouts returns its seats in a few round trips, not one by one.
CONCURRENCY = 16
# A pass stops taking new batches after this long (the cron's timeout is 30 s).
PASS_BUDGET_S = 20.0


async def sweep_all(res: Resources) -> dict[str, int]:
    """One pass over every live event's due checkouts, settled concurrently; outcome -> count."""
    outcomes: Counter[str] = Counter()
    gate = asyncio.Semaphore(CONCURRENCY)
    started = time.monotonic()

    async def one(event_id: str, hold_id: str) -> str:
        async with gate:
            try:
                return await settle_checkout(res, event_id, hold_id)
            except Exception as exc:  # Stripe or Postgres unreachable: the next tick retries
                log.warning("checkout %s not settled: %r", hold_id, exc)
                return "error"

    for event_id in await live_events(res.redis):
        tried: set[str] = set()
        while time.monotonic() - started < PASS_BUDGET_S:
            due: list[str] = await res.redis.zrangebyscore(
                keys.checkouts(event_id), "-inf", now_ms(), start=0, num=BATCH + len(tried)
            )
            batch = [hold_id for hold_id in due if hold_id not in tried][:BATCH]
            if not batch:
                break
            tried.update(batch)
            outcomes.update(await asyncio.gather(*(one(event_id, h) for h in batch)))
    return dict(outcomes)


async def settle_checkout(res: Resources, event_id: str, hold_id: str) -> str:
    hold = await read_hold(res.redis, event_id, hold_id)
    if hold is None or hold.status != "checking_out" or not hold.payment_intent_id:
        await res.redis.zrem(keys.checkouts(event_id), hold_id)
        return "gone"
    pi = hold.payment_intent_id
    gw = gateway(res.settings)
    try:
        intent = await gw.retrieve(pi)
        status = intent.status
    except stripe.InvalidRequestError:
        status = "missing"  # unknown to Stripe: nothing can ever be charged
    if status in AUTHORIZED:
        return "finalized:" + await finalize_payment(res, pi, intent)
    now = now_ms()
    bound = hold.expires_at_ms + res.settings.checkout_grace_s * 1000
    if status == "processing":
        if now < bound:
            await hold_scripts(res.scripts).extend_checkout(
                event_id, hold_id, pi, min(now + PROCESSING_RECHECK_MS, bound)
            )
            return "extended"
        await hold_scripts(res.scripts).expire_checkout(event_id, hold_id, pi, now)
        HOLDS.labels("checkout_expired").inc()
        return "expired_processing"
    if status in UNDECIDED:
        intent = await gw.cancel(pi)
        PAYMENTS.labels("abandoned_cancelled").inc()
        if intent.status in AUTHORIZED:  # paid at the very last moment
            return "finalized:" + await finalize_payment(res, pi, intent)
    if await hold_scripts(res.scripts).expire_checkout(event_id, hold_id, pi, now):
        HOLDS.labels("checkout_expired").inc()
    if hold.order_id:
        await repo.cancel_order(res.pool, hold.order_id, "checkout_expired", pi)
    return "expired"
