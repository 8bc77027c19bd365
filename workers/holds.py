"""Hold jobs: expiry sweep and ledger writer (every second), reconcile (every minute)."""

from __future__ import annotations

import logging
from typing import Any

from app.core.resources import Resources
from app.holds import lifecycle, reconcile

log = logging.getLogger("onsale.worker.holds")


async def expire_holds_tick(ctx: dict[str, Any]) -> int:
    """Return the seats of every expired active hold of every live event, in batches."""
    res: Resources = ctx["resources"]
    return await lifecycle.sweep_all(res.redis, res.scripts)


async def hold_ledger_tick(ctx: dict[str, Any]) -> int:
    """Copy hold starts and ends from Redis streams into the Postgres holds ledger."""
    res: Resources = ctx["resources"]
    return await lifecycle.write_ledger_all(res.redis, res.pool)


async def reconcile_tick(ctx: dict[str, Any]) -> int:
    """Compare every live event's Redis inventory with Postgres; rebuild a lost one."""
    res: Resources = ctx["resources"]
    reports = await reconcile.reconcile_all(res.pool, res.redis, res.scripts, res.settings)
    return sum(1 for r in reports if r.restored)
