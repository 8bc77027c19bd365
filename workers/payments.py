"""arq crons of payments: the checkout sweeper and the payment reconciler."""

from __future__ import annotations

import logging
from typing import Any

from app.checkout import sweeper
from app.orders import reconciler
from workers.finalize import deps

log = logging.getLogger("onsale.worker.payments")


async def sweep_checkouts(ctx: dict[str, Any]) -> dict[str, int]:
    outcomes = await sweeper.sweep_all(deps(ctx))
    if outcomes:
        log.info("checkout sweep: %s", outcomes)
    return outcomes


async def reconcile_payments(ctx: dict[str, Any]) -> dict[str, int]:
    """Settle every PaymentIntent that no job finished (see app/orders/reconciler.py)."""
    settings = ctx["settings"]
    decisions = await reconciler.reconcile_payments(
        deps(ctx), older_than_s=settings.payment_reconcile_after_s
    )
    return dict(decisions)
