"""Runs the benchmark scenarios in one go on the same server settings."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from app.bench import report, scenarios
from app.bench.stack import BenchStack
from app.bench.wrk import WrkResult
from app.core.settings import Settings

console = Console()

HttpScenario = Callable[[BenchStack, Path, int, int], WrkResult]
HTTP_SCENARIOS: dict[str, HttpScenario] = {
    "ceiling": scenarios.ceiling,
    "holds": scenarios.holds,
}


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def run_suite(out_root: Path, selected: list[str], connections: list[int], duration_s: int) -> Path:
    folder = out_root / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = folder / "work"
    work.mkdir(parents=True, exist_ok=True)
    http: dict[str, dict[int, WrkResult]] = {}
    summary: dict[str, Any] = {}
    extra: list[str] = []
    with BenchStack(Settings.from_env(), dict(os.environ)) as stack:
        stack.start_api(workers=2)
        for name in selected:
            if name not in HTTP_SCENARIOS:
                continue
            http[name] = {}
            for conns in connections:
                console.print(f"[bold]{name}[/] at {conns} connections, {duration_s} s …")
                result = HTTP_SCENARIOS[name](stack, work, conns, duration_s)
                http[name][conns] = result
                console.print(
                    f"  {result.rps:,.0f} req/s  p50 {result.p50_ms:.2f} ms  "
                    f"p99 {result.p99_ms:.2f} ms  non-2xx {result.non_2xx}  errors {result.errors}"
                )
        stack.stop_api()

    def at64(name: str, attr: str) -> float | None:
        runs = http.get(name, {})
        key = 64 if 64 in runs else (sorted(runs)[len(runs) // 2] if runs else None)
        return round(getattr(runs[key], attr), 3) if key is not None else None

    summary.update(
        {
            "ceiling_rps": at64("ceiling", "rps"),
            "holds_rps": at64("holds", "rps"),
            "holds_p99_ms": at64("holds", "p99_ms"),
            "holds_pg_rps": at64("holds_pg", "rps"),
            "holds_pg_p99_ms": at64("holds_pg", "p99_ms"),
        }
    )
    summary["holds_vs_ceiling"] = ratio(summary["holds_rps"], summary["ceiling_rps"])
    summary["holds_vs_pg"] = ratio(summary["holds_rps"], summary["holds_pg_rps"])
    command = "onsale bench " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    report.write(folder, http, summary, extra, command.strip())
    console.print_json(data=summary)
    console.print(f"report: {folder / 'report.md'}")
    return folder
