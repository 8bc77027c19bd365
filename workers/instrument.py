"""Job metrics and the job log: every arq function and cron job wrapped the same way.

Per run: onsale_jobs_total{function, outcome}, onsale_job_duration_seconds,
onsale_job_queue_lag_seconds (start time minus the job's scheduled time, which
for a cron job is its tick) and one JSON log line. Outcomes: success, error
(raised; arq will not rerun it), retry (arq.Retry: rerun later), cancelled
(timeout, abort or shutdown: arq reruns it).

Cron jobs run every second: their successes log at DEBUG (ours, and arq's own
start and finish lines, through QuietCronLines), and one INFO line per
SUMMARY_INTERVAL_S counts the runs per function and outcome, so the log shows
what happened instead of 800 lines a minute of "nothing to do".
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

from arq.cron import CronJob
from arq.worker import Function, Retry

from app.core.metrics import JOB_DURATION, JOB_LAG, JOBS

log = logging.getLogger("onsale.job")

JobCoroutine = Callable[..., Coroutine[Any, Any, Any]]

SUMMARY_INTERVAL_S = 60.0


class CronSummary:
    """Counts cron runs per (function, outcome) and logs them once per interval."""

    def __init__(self, interval_s: float = SUMMARY_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.counts: Counter[tuple[str, str]] = Counter()
        self.since = time.monotonic()

    def add(self, function: str, outcome: str) -> None:
        self.counts[(function, outcome)] += 1
        now = time.monotonic()
        if now - self.since >= self.interval_s:
            runs = {f"{f} {o}": n for (f, o), n in sorted(self.counts.items())}
            log.info(
                "cron summary",
                extra={"fields": {"seconds": round(now - self.since, 1), "runs": runs}},
            )
            self.counts.clear()
            self.since = now


_CRON_SUMMARY = CronSummary()

# arq.worker's per-job lines (arq/worker.py): started, and finished successfully.
_ARQ_JOB_LINES = frozenset({"%6.2fs → %s(%s)%s", "%6.2fs ← %s ● %s"})


class QuietCronLines(logging.Filter):
    """Demotes arq's start and success lines of cron jobs to DEBUG (shown only at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            record.levelno == logging.INFO
            and record.msg in _ARQ_JOB_LINES
            and isinstance(args, tuple)
            and len(args) > 1
            and str(args[1]).startswith("cron:")
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


QUIET_CRON_LINES = QuietCronLines()


def quiet_cron_lines() -> None:
    """Install the filter on arq's worker logger (idempotent)."""
    logging.getLogger("arq.worker").addFilter(QUIET_CRON_LINES)


def instrument(coroutine: JobCoroutine, name: str | None = None) -> Any:
    """The same job, measured and logged under `name` (default: its qualified name)."""
    label = name or coroutine.__qualname__
    if getattr(coroutine, "__onsale_instrumented__", False):
        return coroutine

    @functools.wraps(coroutine)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        start = time.time()
        score = ctx.get("score")
        lag = max(0.0, start - score / 1000) if isinstance(score, int | float) else 0.0
        JOB_LAG.labels(label).observe(lag)
        outcome = "error"
        try:
            result = await coroutine(ctx, *args, **kwargs)
            outcome = "success"
            return result
        except Retry:
            outcome = "retry"
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            elapsed = time.time() - start
            JOBS.labels(label, outcome).inc()
            JOB_DURATION.labels(label).observe(elapsed)
            quiet = label.startswith("cron:") and outcome == "success"
            if label.startswith("cron:"):
                _CRON_SUMMARY.add(label, outcome)
            log.log(
                logging.DEBUG if quiet else logging.INFO,
                "job",
                extra={
                    "fields": {
                        "function": label,
                        "job_id": ctx.get("job_id"),
                        "try": ctx.get("job_try"),
                        "outcome": outcome,
                        "duration_ms": round(elapsed * 1000, 3),
                        "lag_ms": round(lag * 1000, 3),
                    }
                },
            )

    run.__onsale_instrumented__ = True  # type: ignore[attr-defined]
    return run


def functions(items: list[Any]) -> list[Any]:
    """arq `functions` entries (plain coroutines or arq.worker.func() results), instrumented."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, Function):
            out.append(dataclasses.replace(item, coroutine=instrument(item.coroutine, item.name)))
        else:
            out.append(instrument(item))
    return out


def cron_jobs(items: list[CronJob]) -> list[CronJob]:
    """arq cron jobs, instrumented under their arq names ("cron:<function>")."""
    return [
        dataclasses.replace(job, coroutine=instrument(job.coroutine, job.name)) for job in items
    ]
