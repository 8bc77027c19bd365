"""Resale cron: sellers of resold tickets refunded (face value minus the fee), failures retried."""

from __future__ import annotations

import logging
from typing import Any

from app.moves import resale

log = logging.getLogger("onsale.worker.moves")


async def resale_payouts_tick(ctx: dict[str, Any]) -> dict[str, int]:
    """Pay every due seller; a failed payout stays due with backoff (never dropped)."""
    done = await resale.pay_sellers(ctx["resources"])
    if done["paid"] or done["failed"]:
        log.info("resale payouts: %s", done)
    return done
