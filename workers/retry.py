"""Bounded retries with backoff for jobs that can fail transiently (arq.Retry).

arq reruns a job only when it raises Retry (or its worker dies); an ordinary
exception ends it for good. A finalize job that fails after convert_hold
(Postgres down, Stripe 5xx at capture) must run again, so every job wrapped
here turns a failure into Retry with exponential backoff (1, 2, 4 ... capped at
MAX_DEFER_S) for MAX_TRIES tries. After that it gives up loudly; the payment
reconciler cron settles whatever the job left.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable, Coroutine
from typing import Any

from arq.worker import Retry

log = logging.getLogger("onsale.worker.retry")

MAX_TRIES = 8
MAX_DEFER_S = 30.0

Job = Callable[..., Coroutine[Any, Any, Any]]


def backoff_s(job_try: int) -> float:
    """Delay before try job_try + 1: 1, 2, 4, 8, 16, 30, 30 s, with +-20 % jitter."""
    base = min(MAX_DEFER_S, 2.0 ** (job_try - 1))
    return base * random.uniform(0.8, 1.2)


def retrying(job: Job) -> Job:
    """The same job; a failure is retried with backoff up to MAX_TRIES tries."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await job(ctx, *args, **kwargs)
        except Retry:
            raise
        except Exception as exc:
            job_try = int(ctx.get("job_try") or 1)
            if job_try >= MAX_TRIES:
                log.error(
                    "job %s gave up after %d tries: %r (the reconciler takes over)",
                    ctx.get("job_id"),
                    job_try,
                    exc,
                )
                raise
            defer = backoff_s(job_try)
            log.warning(
                "job %s try %d failed: %r; retry in %.1f s", ctx.get("job_id"), job_try, exc, defer
            )
            raise Retry(defer=defer) from exc

    return run
