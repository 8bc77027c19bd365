"""Runs the benchmark scenarios in one go on the same server settings, then writes the report.

Order: the HTTP scenarios on `onsale api --workers 2` (ceiling, holds, a
py-spy profile of holds), the Postgres-way server (holds_pg) on the same
settings, then the Redis-level ones (lua_raw, queue) and finalize (its own
API, arq workers and localstripe). Each HTTP scenario runs at every
connection count; summary.json takes the 64-connection figures.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from app.core.settings import Settings
from devtools.bench import finalize, holds_pg, lua_raw, profile, queue, report, scenarios
from devtools.bench.stack import BenchStack
from devtools.bench.wrk import WrkResult

console = Console()

HttpScenario = Callable[[BenchStack, Path, int, int], WrkResult]
API_SCENARIOS: dict[str, HttpScenario] = {
    "ceiling": scenarios.ceiling,
    "holds": scenarios.holds,
}
ALL = ("ceiling", "holds", "holds_pg", "lua_raw", "queue", "finalize")


@dataclass(frozen=True)
class Plan:
    """How big each scenario is: the full run, or a quick one (--quick)."""

    duration_s: int = 10
    lua_seconds: float = 2.0
    queue_fans: int = 1_000_000
    queue_lookups: int = 5000
    finalize_orders: int = 300
    store_orders: int = 600
    profile_s: int = 10

    @classmethod
    def quick(cls, duration_s: int | None) -> Plan:
        return cls(
            duration_s=duration_s or 3,
            lua_seconds=1.0,
            queue_fans=100_000,
            queue_lookups=2000,
            finalize_orders=100,
            store_orders=300,
            profile_s=5,
        )


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def _line(result: WrkResult) -> str:
    return (
        f"  {result.rps:,.0f} req/s  p50 {result.p50_ms:.2f} ms  p99 {result.p99_ms:.2f} ms  "
        f"non-2xx {result.non_2xx}  errors {result.errors}"
    )


def run_suite(
    out_root: Path,
    selected: list[str],
    connections: list[int],
    plan: Plan,
    *,
    with_profile: bool = True,
) -> Path:
    folder = out_root / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = folder / "work"
    work.mkdir(parents=True, exist_ok=True)
    http: dict[str, dict[int, WrkResult]] = {}
    other: dict[str, Any] = {}
    prof: dict[str, Any] | None = None
    with BenchStack(Settings.from_env(), dict(os.environ)) as stack:
        other["redis_ping_rtt_us"] = ping_rtt_us(stack.settings.redis_url)
        if any(name in API_SCENARIOS for name in selected):
            stack.start_api(workers=2)
            for name in selected:
                if name not in API_SCENARIOS:
                    continue
                API_SCENARIOS[name](stack, work, 64, 2)  # warm-up, not recorded
                http[name] = {}
                for conns in connections:
                    console.print(f"[bold]{name}[/] at {conns} connections, {plan.duration_s} s …")
                    result = API_SCENARIOS[name](stack, work, conns, plan.duration_s)
                    http[name][conns] = result
                    console.print(_line(result))
            if "holds" in selected and with_profile:
                console.print(f"[bold]profile[/] of holds at 64 connections, {plan.profile_s} s …")
                prof = profile.record(
                    stack.worker_pids(),
                    folder,
                    plan.profile_s,
                    lambda: scenarios.holds(stack, work, 64, plan.profile_s),
                )
                if prof is None:
                    console.print("  py-spy not available: no profile")
            stack.stop_api()
        if "holds_pg" in selected:
            requests_file = scenarios.holds_requests(stack, work) if "holds" in selected else None
            if requests_file is None:
                stack.start_api(workers=2)
                requests_file = scenarios.holds_requests(stack, work)
                stack.stop_api()
            http["holds_pg"] = {}

            def shown(conns: int, result: WrkResult) -> None:
                console.print(f"[bold]holds_pg[/] at {conns} connections, {plan.duration_s} s")
                console.print(_line(result))

            http["holds_pg"] = holds_pg.run(
                stack,
                requests_file,
                scenarios.holds_event_id(work),
                connections,
                plan.duration_s,
                shown,
            )
        if "lua_raw" in selected:
            console.print(f"[bold]lua_raw[/]: reserve_seats.lua via redis-py, {plan.lua_seconds} s")
            with _recorded(other, "lua_raw"):
                other["lua_raw"] = lua_raw.run(stack.settings.redis_url, plan.lua_seconds)
                console.print(f"  {other['lua_raw']}")
        if "queue" in selected:
            console.print(f"[bold]queue[/]: {plan.queue_fans:,} fans joined in Redis …")
            with _recorded(other, "queue"):
                measured = queue.run(stack.settings.redis_url, plan.queue_fans, plan.queue_lookups)
                measured.pop("keys", None)
                other["queue"] = measured
                console.print(f"  {measured}")
        if "finalize" in selected:
            console.print(
                f"[bold]finalize[/]: {plan.finalize_orders} orders end to end with 1 and 2 "
                f"workers, {plan.store_orders} for the Redis + Postgres part …"
            )
            with _recorded(other, "finalize"):
                other["finalize"] = finalize.run(
                    stack, plan.finalize_orders, plan.store_orders, console.print
                )

    summary = summarize(http, other, plan)
    command = "onsale bench " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    sections = report.sections(summary, other, prof)
    report.write(folder, http, summary, sections, command.strip())
    (folder / "other_runs.json").write_text(report.to_json(other))
    print_goals(summary)
    console.print_json(data=summary)
    console.print(f"report: {folder / 'report.md'}")
    return folder


@contextlib.contextmanager
def _recorded(other: dict[str, Any], name: str) -> Iterator[None]:
    """A scenario that fails is reported as failed; the others and the report still run."""
    try:
        yield
    except Exception as exc:
        other[f"{name}_error"] = repr(exc)
        console.print(f"[red]{name} failed:[/] {exc!r}")


def summarize(
    http: dict[str, dict[int, WrkResult]], other: dict[str, Any], plan: Plan
) -> dict[str, Any]:
    def at64(name: str, attr: str) -> float | None:
        runs = http.get(name, {})
        key = 64 if 64 in runs else (sorted(runs)[len(runs) // 2] if runs else None)
        return round(getattr(runs[key], attr), 3) if key is not None else None

    summary: dict[str, Any] = {
        "ceiling_rps": at64("ceiling", "rps"),
        "ceiling_p99_ms": at64("ceiling", "p99_ms"),
        "holds_rps": at64("holds", "rps"),
        "holds_p99_ms": at64("holds", "p99_ms"),
        "holds_pg_rps": at64("holds_pg", "rps"),
        "holds_pg_p99_ms": at64("holds_pg", "p99_ms"),
        "duration_s_per_http_run": plan.duration_s,
    }
    summary["redis_ping_rtt_us"] = other.get("redis_ping_rtt_us")
    summary["holds_vs_ceiling"] = ratio(summary["holds_rps"], summary["ceiling_rps"])
    summary["holds_vs_pg"] = ratio(summary["holds_rps"], summary["holds_pg_rps"])
    summary["holds_p99_vs_pg_p99"] = ratio(summary["holds_p99_ms"], summary["holds_pg_p99_ms"])
    raw = other.get("lua_raw")
    summary["lua_raw_ops"] = raw["pipelined_16_ops"] if raw else None
    q = other.get("queue")
    if q:
        summary.update(
            {
                "queue_fans": q["fans"],
                "queue_joins_per_s": q["joins_per_s"],
                "queue_bytes_per_fan": q["bytes_per_fan_used_memory"],
                "queue_bytes_per_fan_keys": q["bytes_per_fan_keys"],
                "queue_status_p99_ms_10k": round(q["status_at_10k"]["p99_us"] / 1000, 3),
                "queue_status_p99_ms_1m": round(q["status_at_full"]["p99_us"] / 1000, 3),
                "queue_status_p50_ms_10k": round(q["status_at_10k"]["p50_us"] / 1000, 3),
                "queue_status_p50_ms_1m": round(q["status_at_full"]["p50_us"] / 1000, 3),
            }
        )
    else:
        summary.update(
            {
                "queue_bytes_per_fan": None,
                "queue_status_p99_ms_10k": None,
                "queue_status_p99_ms_1m": None,
            }
        )
    f = other.get("finalize")
    if f:
        by_workers = {r["workers"]: r for r in f["end_to_end"]}
        two = by_workers.get(2) or f["end_to_end"][-1]
        summary["finalize_orders_per_s"] = two["orders_per_s"]
        summary["finalize_orders_per_s_1_worker"] = by_workers.get(1, {}).get("orders_per_s")
        summary["finalize_lag_p50_ms"] = two["lag_p50_ms"]
        summary["finalize_lag_p99_ms"] = two["lag_p99_ms"]
        for r in f["store_only"]:
            suffix = "" if r["synchronous_commit"] == "on" else "_sync_commit_off"
            key = f"finalize_store_orders_per_s_{r['processes']}p{suffix}"
            summary[key] = r["orders_per_s"]
    else:
        summary["finalize_orders_per_s"] = None
    summary["goals"] = goals(summary)
    return summary


def goals(s: dict[str, Any]) -> dict[str, bool | None]:
    def check(ok: Callable[[], bool], *needed: str) -> bool | None:
        return None if any(s.get(k) is None for k in needed) else ok()

    return {
        "holds_vs_ceiling >= 0.5": check(lambda: s["holds_vs_ceiling"] >= 0.5, "holds_vs_ceiling"),
        "holds_vs_pg >= 3.0": check(lambda: s["holds_vs_pg"] >= 3.0, "holds_vs_pg"),
        "holds p99 <= 0.5 x holds_pg p99": check(
            lambda: s["holds_p99_ms"] <= 0.5 * s["holds_pg_p99_ms"],
            "holds_p99_ms",
            "holds_pg_p99_ms",
        ),
        "finalize_orders_per_s >= 500 (2 workers)": check(
            lambda: s["finalize_orders_per_s"] >= 500, "finalize_orders_per_s"
        ),
        "queue_bytes_per_fan <= 200": check(
            lambda: s["queue_bytes_per_fan"] <= 200, "queue_bytes_per_fan"
        ),
        "queue status p99 at 1M <= 1.5 x at 10k": check(
            lambda: s["queue_status_p99_ms_1m"] <= 1.5 * s["queue_status_p99_ms_10k"],
            "queue_status_p99_ms_1m",
            "queue_status_p99_ms_10k",
        ),
    }


def print_goals(summary: dict[str, Any]) -> None:
    table = Table(title="Goals (64 connections)")
    table.add_column("goal")
    table.add_column("met")
    for name, ok in summary["goals"].items():
        table.add_row(name, "-" if ok is None else ("[green]yes[/]" if ok else "[red]no[/]"))
    console.print(table)


def ping_rtt_us(redis_url: str, n: int = 500) -> float:
    """Median localhost round trip (PING) in µs: what every awaited command costs here."""
    import time

    import redis as redis_sync

    client = redis_sync.Redis.from_url(redis_url)
    try:
        times = []
        for _ in range(n):
            t = time.perf_counter()
            client.ping()
            times.append(time.perf_counter() - t)
    finally:
        client.close()
    return round(sorted(times)[n // 2] * 1e6, 1)
