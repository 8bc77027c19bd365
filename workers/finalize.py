"""arq jobs of order finalization: finalize_payment (one per PaymentIntent) and refund_order."""

from __future__ import annotations

import logging
import time
from typing import Any

from app.core.metrics import REFUNDS, WEBHOOK_TO_CONFIRMED
from app.orders import finalize, refunds
from app.payments.gateway import Intent
from workers.retry import retrying

log = logging.getLogger("onsale.worker.finalize")


@retrying
async def finalize_payment(
    ctx: dict[str, Any], payment_intent_id: str, authorized: dict[str, Any] | None = None
) -> str:
    """Settle a PaymentIntent (job id finalize:<pi>): convert, record, capture.

    `authorized`: the PaymentIntent its verified webhook carried; the first try starts
    from it, a retry reads the PaymentIntent back from Stripe (whatever made the first
    try fail may have changed it)."""
    # Job counts, durations and lag: workers/instrument.py wraps every job.
    first_try = int(ctx.get("job_try") or 1) == 1
    known = Intent.of(authorized) if authorized is not None and first_try else None
    outcome = await finalize.finalize_payment(ctx["resources"], payment_intent_id, known)
    enqueued = ctx.get("enqueue_time")
    if outcome == "confirmed" and enqueued is not None:
        # Enqueued by the webhook (or the checkout sweeper) -> order confirmed.
        WEBHOOK_TO_CONFIRMED.observe(max(0.0, time.time() - enqueued.timestamp()))
    log.info("finalize %s: %s", payment_intent_id, outcome)
    return outcome


@retrying
async def refund_order(ctx: dict[str, Any], order_id: str) -> str:
    """Refund an order through Stripe (job id refund:<order_id>)."""
    outcome = await refunds.refund_order(ctx["resources"], order_id)
    REFUNDS.labels(outcome).inc()
    return outcome
