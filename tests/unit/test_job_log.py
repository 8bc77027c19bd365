"""Job logging: cron successes at DEBUG, one summary line per interval, failures at INFO."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from workers import instrument


async def test_cron_successes_are_quiet_and_summarised(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = instrument.CronSummary(interval_s=0.0)
    monkeypatch.setattr(instrument, "_CRON_SUMMARY", summary)

    async def tick(ctx: dict[str, Any]) -> int:
        return 1

    async def boom(ctx: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    quiet = instrument.instrument(tick, "cron:tick")
    loud = instrument.instrument(boom, "cron:boom")
    caplog.set_level(logging.DEBUG, logger="onsale.job")
    assert await quiet({}) == 1
    with pytest.raises(RuntimeError):
        await loud({})
    jobs = [r for r in caplog.records if r.getMessage() == "job"]
    assert [(r.levelno, r.fields["function"]) for r in jobs] == [  # type: ignore[attr-defined]
        (logging.DEBUG, "cron:tick"),
        (logging.INFO, "cron:boom"),
    ]
    summaries = [r for r in caplog.records if r.getMessage() == "cron summary"]
    assert summaries[-1].levelno == logging.INFO
    assert summaries[-1].fields["runs"] == {"cron:boom error": 1}  # type: ignore[attr-defined]


def test_summary_counts_until_the_interval_is_up() -> None:
    summary = instrument.CronSummary(interval_s=3600.0)
    for _ in range(3):
        summary.add("cron:tick", "success")
    assert summary.counts == {("cron:tick", "success"): 3}


def test_arq_cron_lines_are_demoted(caplog: pytest.LogCaptureFixture) -> None:
    instrument.quiet_cron_lines()
    arq_log = logging.getLogger("arq.worker")
    caplog.set_level(logging.INFO)
    arq_log.info("%6.2fs → %s(%s)%s", 0.01, "cron:admission_tick", "", "")
    arq_log.info("%6.2fs ← %s ● %s", 0.01, "cron:admission_tick", "{}")
    arq_log.info("%6.2fs ← %s ● %s", 0.2, "finalize:pi_1:finalize_payment", "confirmed")
    arq_log.info("%6.2fs ↻ %s retrying job in %0.2fs", 0.2, "cron:admission_tick", 1.0)
    shown = [r.getMessage() for r in caplog.records if r.name == "arq.worker"]
    assert len(shown) == 2
    assert "finalize_payment" in shown[0]
    assert "retrying" in shown[1]
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="arq.worker")
    arq_log.info("%6.2fs ← %s ● %s", 0.01, "cron:admission_tick", "{}")
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
