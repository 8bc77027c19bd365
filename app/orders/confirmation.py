"""Confirmation without webhooks: a pending order re-reads its PaymentIntent and finalizes.

Stripe may delay or drop `payment_intent.*` webhooks (localstripe sends none for
a client-side confirmation). So when the client reports that it confirmed the
payment, and when a pending order is read, the server asks Stripe itself and,
if the money is authorized, finalizes right there (the same idempotent steps
as the job). Reads start FRESH_S after the checkout and are throttled per
order (one Stripe call per RECHECK_EVERY_MS); a finalize that cannot finish in
time is left to the queued job.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import stripe

from app.core import keys
from app.core.clock import utcnow
from app.core.resources import Resources
from app.orders.finalize import finalize_payment
from app.payments.gateway import AUTHORIZED, gateway
from app.payments.jobs import enqueue_finalize

log = logging.getLogger("onsale.orders.confirmation")

RECHECK_EVERY_MS = 1500
# A read within this long of the checkout leaves it to the job queued at checkout (card
# payments) or the webhook; past it, the read itself asks Stripe.
FRESH_S = 2.0
FINALIZE_WITHIN_S = 8.0


def _recheck_key(row: asyncpg.Record) -> str:
    return f"{keys.tag(str(row['event_id']))}:order:recheck:{row['order_id']}"


async def settle_if_paid(res: Resources, row: asyncpg.Record, *, reported: bool) -> bool:
    """Finalize a pending order whose PaymentIntent Stripe says is authorized; True if it ran.

    `reported`: the client says it just confirmed (not throttled)."""
    pi = row["payment_intent_id"]
    if row["status"] != "pending" or not pi:
        return False
    if not reported:
        if (utcnow() - row["created_at"]).total_seconds() < FRESH_S:
            return False
        if not await res.redis.set(_recheck_key(row), "1", px=RECHECK_EVERY_MS, nx=True):
            return False
    try:
        intent = await gateway(res.settings).retrieve(pi)
    except stripe.StripeError as exc:
        log.warning("could not re-read %s: %s", pi, exc)
        return False
    if intent.status not in AUTHORIZED:
        return False
    try:
        async with asyncio.timeout(FINALIZE_WITHIN_S):
            outcome = await finalize_payment(res, pi, intent)
    except Exception as exc:  # the job retries with backoff; the reconciler backs it up
        log.warning("inline finalize of %s failed (%r): queued", pi, exc)
        await enqueue_finalize(res.arq, pi)
        return False
    log.info("finalize %s without webhook: %s", pi, outcome)
    return True
