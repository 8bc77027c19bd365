"""Every arq job function and cron job, gathered for WorkerSettings."""

from __future__ import annotations

from typing import Any

from arq.cron import CronJob


async def heartbeat(ctx: dict[str, Any]) -> None:
    """Proves the worker runs its cron (readiness of the worker side)."""
    await ctx["redis"].set("onsale:worker:heartbeat", "1", ex=30)


def functions() -> list[Any]:
    return []


def cron_jobs() -> list[CronJob]:
    from arq.cron import cron

    return [cron(heartbeat, second={0, 10, 20, 30, 40, 50}, run_at_startup=True)]
