"""`onsale bench --smoke`: every scenario of the bench runs to its report, so none breaks silently.

The bench is run as a subprocess, as a person runs it, from a folder outside
the checkout (the commit must still be recorded). It starts its own Valkey,
Postgres, API, workers and payment stand-in; the figures of a 1-second run
mean nothing and are not checked, only that every scenario ran and reported.

Slow: the run takes 2-4 minutes on a busy 2-core machine however short the
measurements are. Most of it is fixed cost: a fresh Postgres, five API starts
(the HTTP scenarios, the tail's two probed APIs, logins, finalize) and the
finalize workers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SCENARIOS = (
    "ceiling",
    "holds",
    "holds_pg",
    "seated_holds",
    "seated_best",
    "tail",
    "logins",
    "lua_raw",
    "ticket_verify",
    "queue",
    "finalize",
)
# What each scenario writes in report.md: the HTTP ones a row of the HTTP table,
# the others a section of their own.
IN_REPORT = {
    "ceiling": "| ceiling | 64 |",
    "holds": "| holds | 64 |",
    "holds_pg": "| holds_pg | 64 |",
    "seated_holds": "| seated_holds | 64 |",
    "seated_best": "| seated_best | 64 |",
    "tail": "## tail:",
    "logins": "## logins:",
    "lua_raw": "## lua_raw:",
    "ticket_verify": "## ticket_verify:",
    "queue": "## queue:",
    "finalize": "## finalize:",
}
# What each scenario leaves in summary.json (None when it did not run or failed).
IN_SUMMARY = {
    "ceiling": "ceiling_rps",
    "holds": "holds_rps",
    "holds_pg": "holds_pg_rps",
    "seated_holds": "seated_holds_rps",
    "seated_best": "seated_best_rps",
    "logins": "logins_per_s",
    "lua_raw": "lua_raw_ops",
    "ticket_verify": "ticket_verify_codes_per_s",
    "queue": "queue_fans",
    "finalize": "finalize_orders_per_s",
}


def test_every_scenario_runs_and_reports(tmp_path: Path) -> None:
    # The bench's own servers, never the suite's: its queue scenario flushes Redis.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONSALE_")}
    env.update({"COLUMNS": "200", "NO_COLOR": "1"})
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "bench", "--smoke", "--connections", "64",
         *(a for s in SCENARIOS for a in ("--scenario", s)), "--out", str(tmp_path / "out")],
        env=env, cwd=outside, capture_output=True, text=True, timeout=570,
    )  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]

    (folder,) = (tmp_path / "out").iterdir()
    report = (folder / "report.md").read_text()
    summary = json.loads((folder / "summary.json").read_text())
    other = json.loads((folder / "other_runs.json").read_text())
    assert "## Scenarios that failed" not in report, report
    for scenario, marker in IN_REPORT.items():
        assert marker in report, f"{scenario} missing from report.md"
    for scenario, key in IN_SUMMARY.items():
        assert summary.get(key) is not None, f"{scenario}: no {key} in summary.json"
    assert other.get("tail"), "tail: nothing in other_runs.json"

    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert summary["commit"] == head
    assert f"- Commit: {head}" in report
