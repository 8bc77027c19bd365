"""arq cron of payments: the checkout sweeper (settles overdue checkouts with Stripe)."""

from __future__ import annotations

import logging
from typing import Any

from app.checkout import sweeper

log = logging.getLogger("onsale.worker.payments")


async def sweep_checkouts(ctx: dict[str, Any]) -> dict[str, int]:
    outcomes = await sweeper.sweep_all(ctx["resources"])
    if outcomes:
        log.info("checkout sweep: %s", outcomes)
    return outcomes
