"""arq crons of payments: the checkout sweeper and the payment reconciler."""

from __future__ import annotations

import logging
from typing import Any

from app.checkout import sweeper
from app.orders import reconciler

log = logging.getLogger("onsale.worker.payments")


async def sweep_checkouts(ctx: dict[str, Any]) -> dict[str, int]:
    outcomes = await sweeper.sweep_all(ctx["resources"])
    if outcomes:
        log.info("checkout sweep: %s", outcomes)
    return outcomes


async def reconcile_payments(ctx: dict[str, Any]) -> dict[str, int]:
    """Settle every PaymentIntent that no job finished (see app/orders/reconciler.py)."""
    resources = ctx["resources"]
    decisions = await reconciler.reconcile_payments(
        resources, older_than_s=resources.settings.payment_reconcile_after_s
    )
    return dict(decisions)
