"""Runs the benchmark scenarios in one go on the same server settings, then writes the report.

Order: the HTTP scenarios, with `onsale api --workers 2` (ceiling, holds) and
the Postgres-way server (holds_pg, same settings) up side by side and run in
interleaved rounds (devtools/bench/interleave.py) at each connection count,
then a py-spy profile of holds; then logins, the Redis-level scenarios
(lua_raw, queue) and finalize (its own API, 2 arq workers, the payment
stand-in). The goals are judged on the median of the per-round ratios at 64
connections, reported with their spread.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

from app.core.settings import Settings
from devtools.bench import (
    finalize,
    holds_pg,
    interleave,
    logins,
    lua_raw,
    profile,
    queue,
    report,
    scenarios,
    seated,
    tail,
    ticket_verify,
)
from devtools.bench.stack import BenchStack
from devtools.bench.wrk import WrkResult

console = Console()

HTTP = ("ceiling", "holds", "holds_pg", "seated_holds", "seated_best")
ALL = (*HTTP, "tail", "logins", "lua_raw", "queue", "finalize")
# The connection count the goals are judged at.
GOAL_CONNECTIONS = 64


@dataclass(frozen=True)
class Plan:
    """How big each scenario is: the full run, or a quick one (--quick)."""

    duration_s: int = 8
    # Interleaved rounds at GOAL_CONNECTIONS, and at the other connection counts.
    rounds: int = 5
    side_rounds: int = 3
    lua_seconds: float = 2.0
    queue_fans: int = 1_000_000
    queue_lookups: int = 5000
    finalize_orders: int = 600
    finalize_rounds: int = 3
    store_orders: int = 600
    login_s: int = 8
    profile_s: int = 10
    tail_rounds: int = 2
    ticket_codes: int = 10_000
    # An unrecorded run of each HTTP scenario before the rounds (0: none).
    warmup_s: int = 2

    @classmethod
    def quick(cls, duration_s: int | None) -> Plan:
        return cls(
            duration_s=duration_s or 3,
            rounds=3,
            side_rounds=1,
            lua_seconds=1.0,
            queue_fans=100_000,
            queue_lookups=2000,
            finalize_orders=500,
            finalize_rounds=1,
            store_orders=300,
            login_s=4,
            profile_s=5,
            tail_rounds=1,
        )

    @classmethod
    def smoke(cls) -> Plan:
        """Every scenario at the least that still runs each of its code paths: what the
        smoke test runs (tests/acceptance/test_bench_smoke.py), not a measurement."""
        return cls(
            duration_s=1,
            rounds=1,
            side_rounds=1,
            lua_seconds=0.2,
            queue_fans=10_000,
            queue_lookups=100,
            finalize_orders=20,
            finalize_rounds=1,
            store_orders=20,
            login_s=1,
            profile_s=1,
            tail_rounds=1,
            warmup_s=0,
            ticket_codes=200,
        )


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def _line(round_no: int, name: str, result: WrkResult) -> str:
    cpu = f"  {result.cpu_us_per_request:,.0f} CPU µs/req" if result.cpu_us_per_request else ""
    spread = (
        f"  conns/worker {result.connections_per_worker}" if result.connections_per_worker else ""
    )
    return (
        f"  round {round_no + 1} {name:9s} {result.rps:8,.0f} req/s  p50 {result.p50_ms:6.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms  non-2xx {result.non_2xx}  errors {result.errors}"
        f"{cpu}{spread}"
    )


Rounds = dict[str, dict[int, list[WrkResult]]]


def run_http(
    stack: BenchStack,
    folder: Path,
    selected: list[str],
    connections: list[int],
    plan: Plan,
    *,
    with_profile: bool,
) -> tuple[Rounds, dict[str, Any] | None]:
    """ceiling, holds and holds_pg, both servers up at once, interleaved round by round."""
    work = folder / "work"
    names = [n for n in HTTP if n in selected]
    rounds: Rounds = {n: {} for n in names}
    prof: dict[str, Any] | None = None
    if not names:
        return rounds, prof
    with contextlib.ExitStack() as up:
        stack.start_api(workers=2)
        up.callback(stack.stop_api)
        needs_holds = "holds" in names or "holds_pg" in names
        requests_file = scenarios.holds_requests(stack, work) if needs_holds else None
        runners: dict[str, Callable[[int, int], WrkResult]] = {}
        if "ceiling" in names:
            runners["ceiling"] = lambda c, d: scenarios.ceiling(stack, work, c, d)
        if "holds" in names:
            runners["holds"] = lambda c, d: scenarios.holds(stack, work, c, d)
        if "seated_holds" in names:
            runners["seated_holds"] = lambda c, d: seated.seated_holds(stack, work, c, d)
        if "seated_best" in names:
            runners["seated_best"] = lambda c, d: seated.seated_best(stack, work, c, d)
        if "holds_pg" in names and requests_file is not None:
            pg_base, pg_pids = up.enter_context(
                holds_pg.server(stack, scenarios.holds_event_id(work))
            )
            runners["holds_pg"] = lambda c, d: holds_pg.run_once(
                pg_base, pg_pids, requests_file, c, d
            )
        for run in runners.values():
            if plan.warmup_s:
                run(GOAL_CONNECTIONS, plan.warmup_s)  # warm-up, not recorded
        # The goal's connection count first: if the machine gets busier later, the
        # figures that matter were taken first.
        ordered = sorted(connections, key=lambda c: (c != GOAL_CONNECTIONS, c))
        for conns in ordered:
            n = plan.rounds if conns == GOAL_CONNECTIONS else plan.side_rounds
            console.print(
                f"[bold]{', '.join(runners)}[/] at {conns} connections: {n} interleaved "
                f"round(s) of {plan.duration_s} s each"
            )
            got = interleave.run_rounds(
                {
                    name: functools.partial(run, conns, plan.duration_s)
                    for name, run in runners.items()
                },
                n,
                lambda r, name, result: console.print(_line(r, name, result)),
            )
            for name, results in got.items():
                rounds[name][conns] = results
        if "holds" in names and with_profile:
            console.print(
                f"[bold]profile[/] of holds at {GOAL_CONNECTIONS} connections, {plan.profile_s} s …"
            )
            prof = profile.record(
                stack.worker_pids(),
                folder,
                plan.profile_s,
                lambda: scenarios.holds(stack, work, GOAL_CONNECTIONS, plan.profile_s),
            )
            if prof is None:
                console.print("  py-spy not available: no profile")
    return rounds, prof


def run_suite(
    out_root: Path,
    selected: list[str],
    connections: list[int],
    plan: Plan,
    *,
    with_profile: bool = True,
) -> tuple[Path, list[str]]:
    """Runs the selected scenarios and writes the report; returns its folder and the
    scenarios that failed (each also named in the report)."""
    folder = out_root / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = folder / "work"
    work.mkdir(parents=True, exist_ok=True)
    other: dict[str, Any] = {"load_average_at_start": os.getloadavg()}
    console.print(f"load average at start: {other['load_average_at_start']}")
    # Throwaway servers with development secrets; the 2,000 shoppers hold far more
    # often than a person could, so per-account hold and join limits are raised
    # (the limiter still runs on every request).
    env = {
        "ONSALE_RATE_LIMITS": "holds_account=1000000/minute;queue_join_account=1000000/minute",
        **os.environ,
        "ONSALE_ENV": "dev",
    }
    with BenchStack(Settings.from_env(env), env) as stack:
        other["redis_ping_rtt_us"] = ping_rtt_us(stack.settings.redis_url)
        rounds, prof = run_http(
            stack, folder, selected, connections, plan, with_profile=with_profile
        )
        if "tail" in selected:
            console.print(
                f"[bold]tail[/]: holds at {GOAL_CONNECTIONS} connections on the instrumented "
                f"API, with and without gc.freeze(), {plan.tail_rounds} round(s) …"
            )
            with _recorded(other, "tail"):
                if not (work / "holds-requests.tsv").exists():
                    stack.start_api(workers=2)
                    scenarios.holds_requests(stack, work)
                    stack.stop_api()
                requests_file = scenarios.holds_requests(stack, work)
                other["tail"] = tail.compare(
                    stack, requests_file, plan.duration_s, plan.tail_rounds, console.print
                )
        if "logins" in selected:
            console.print(f"[bold]logins[/]: POST /auth/login, {plan.login_s} s …")
            with _recorded(other, "logins"):
                other["logins"] = logins.run(stack, work, plan.login_s)
                console.print(f"  {other['logins']}")
        if "lua_raw" in selected:
            console.print(f"[bold]lua_raw[/]: reserve_seats.lua via redis-py, {plan.lua_seconds} s")
            with _recorded(other, "lua_raw"):
                other["lua_raw"] = lua_raw.run(stack.settings.redis_url, plan.lua_seconds)
                console.print(f"  {other['lua_raw']}")
        if "ticket_verify" in selected:
            console.print(
                f"[bold]ticket_verify[/]: {plan.ticket_codes:,} live ticket codes checked with "
                "the public key (the scanner's code path) …"
            )
            with _recorded(other, "ticket_verify"):
                other["ticket_verify"] = ticket_verify.run(plan.ticket_codes)
                console.print(f"  {other['ticket_verify']}")
        if "queue" in selected:
            console.print(f"[bold]queue[/]: {plan.queue_fans:,} fans joined in Redis …")
            with _recorded(other, "queue"):
                measured = queue.run(stack.settings.redis_url, plan.queue_fans, plan.queue_lookups)
                measured.pop("keys", None)
                other["queue"] = measured
                console.print(f"  {measured}")
        if "finalize" in selected:
            console.print(
                f"[bold]finalize[/]: {plan.finalize_orders} orders end to end with 2 workers "
                f"against the payment stand-in ({finalize.STANDIN_DELAY_MS} ms per call), "
                f"{plan.finalize_rounds} round(s); {plan.store_orders} for the Redis + Postgres "
                "part …"
            )
            with _recorded(other, "finalize"):
                other["finalize"] = finalize.run(
                    stack,
                    plan.finalize_orders,
                    plan.finalize_rounds,
                    plan.store_orders,
                    console.print,
                    work if with_profile else None,
                )
    other["load_average_at_end"] = os.getloadavg()
    summary = summarize(rounds, other, plan)
    command = "onsale bench " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    sections = report.sections(summary, other, prof)
    report.write(folder, rounds, summary, sections, command.strip())
    (folder / "other_runs.json").write_text(report.to_json(other))
    print_goals(summary)
    console.print(f"report: {folder / 'report.md'}")
    failed = [k.removesuffix("_error") for k in other if k.endswith("_error")]
    return folder, failed


@contextlib.contextmanager
def _recorded(other: dict[str, Any], name: str) -> Iterator[None]:
    """A scenario that fails is reported as failed; the others and the report still run."""
    try:
        yield
    except Exception as exc:
        other[f"{name}_error"] = repr(exc)
        console.print(f"[red]{name} failed:[/] {exc!r}")


def ratios(rounds: Rounds) -> dict[str, interleave.Spread]:
    """The compared figures at GOAL_CONNECTIONS, each a spread over interleaved rounds."""
    at = {name: runs.get(GOAL_CONNECTIONS, []) for name, runs in rounds.items()}
    ceiling, holds, pg = at.get("ceiling", []), at.get("holds", []), at.get("holds_pg", [])
    picked, best = at.get("seated_holds", []), at.get("seated_best", [])

    def rps(r: WrkResult) -> float:
        return r.rps

    def p99(r: WrkResult) -> float:
        return r.p99_ms

    def tail(r: WrkResult) -> float | None:
        return r.p99_ms / r.p50_ms if r.p50_ms else None

    def cpu(r: WrkResult) -> float | None:
        return r.cpu_us_per_request

    values = {
        "holds_vs_ceiling": interleave.paired(holds, ceiling, rps),
        "holds_vs_pg": interleave.paired(holds, pg, rps),
        "holds_p99_vs_pg_p99": interleave.paired(holds, pg, p99),
        "holds_p99_vs_p50": interleave.own(holds, tail),
        "ceiling_p99_vs_p50": interleave.own(ceiling, tail),
        # CPU per request, ceiling over holds: the throughput share holds would keep if
        # CPU were all that bound both (the API workers' own CPU, whatever the neighbours do).
        "holds_vs_ceiling_cpu": interleave.paired(ceiling, holds, cpu),
        "holds_rps": interleave.own(holds, rps),
        "ceiling_rps": interleave.own(ceiling, rps),
        "holds_pg_rps": interleave.own(pg, rps),
        "holds_p50_ms": interleave.own(holds, lambda r: r.p50_ms),
        "holds_p99_ms": interleave.own(holds, p99),
        "holds_pg_p99_ms": interleave.own(pg, p99),
        "ceiling_p99_ms": interleave.own(ceiling, p99),
        # Reserved seating beside general admission (goal: >= 0.7x GA holds' rate).
        "seated_holds_vs_holds": interleave.paired(picked, holds, rps),
        "seated_best_vs_holds": interleave.paired(best, holds, rps),
        "seated_holds_rps": interleave.own(picked, rps),
        "seated_best_rps": interleave.own(best, rps),
    }
    out = {}
    for name, vals in values.items():
        spread = interleave.Spread.of(vals)
        if spread is not None:
            out[name] = spread
    return out


def summarize(rounds: Rounds, other: dict[str, Any], plan: Plan) -> dict[str, Any]:
    spreads = ratios(rounds)

    def med(name: str) -> float | None:
        return spreads[name].median if name in spreads else None

    summary: dict[str, Any] = {
        "ratios": {k: msgspec.to_builtins(v) for k, v in spreads.items()},
        "duration_s_per_http_run": plan.duration_s,
        "rounds_at_64": plan.rounds,
        "load_average_at_start": other.get("load_average_at_start"),
        "load_average_at_end": other.get("load_average_at_end"),
        "redis_ping_rtt_us": other.get("redis_ping_rtt_us"),
        "commit": report.commit(),
    }
    for name in (
        "ceiling_rps", "holds_rps", "holds_pg_rps", "holds_p50_ms", "holds_p99_ms",
        "holds_pg_p99_ms", "ceiling_p99_ms", "holds_vs_ceiling", "holds_vs_pg",
        "holds_p99_vs_pg_p99", "holds_p99_vs_p50", "holds_vs_ceiling_cpu",
        "seated_holds_rps", "seated_best_rps", "seated_holds_vs_holds", "seated_best_vs_holds",
    ):  # fmt: skip
        summary[name] = med(name)
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
    logins_run = other.get("logins")
    if logins_run:
        summary["logins_per_s"] = logins_run["logins_per_s"]
        summary["logins_per_cpu_s"] = logins_run["logins_per_cpu_s"]
    f = other.get("finalize")
    if f and f.get("end_to_end"):
        e2e = f["end_to_end"]
        for key in ("orders_per_s", "lag_p50_ms", "lag_p99_ms"):
            spread = interleave.Spread.of([r[key] for r in e2e if r.get(key) is not None])
            if spread is not None:
                summary["ratios"][f"finalize_{key}"] = msgspec.to_builtins(spread)
        summary["finalize_orders_per_s"] = (
            summary["ratios"].get("finalize_orders_per_s", {}).get("median")
        )
        summary["finalize_lag_p99_ms"] = (
            summary["ratios"].get("finalize_lag_p99_ms", {}).get("median")
        )
        summary["finalize_max_jobs"] = e2e[0].get("max_jobs")
        # Every process's CPU per order: workers, API, and each server the run measured.
        per_order = [
            (r.get("worker_cpu_ms_per_order") or 0.0)
            + (r.get("api_cpu_ms_per_order") or 0.0)
            + sum(r["cpu_ms_per_order"].values())
            for r in e2e
            if r.get("cpu_ms_per_order")
        ]
        cpu_spread = interleave.Spread.of(per_order)
        if cpu_spread is not None:
            summary["ratios"]["finalize_cpu_ms_per_order"] = msgspec.to_builtins(cpu_spread)
        summary["finalize_cpu_ms_per_order"] = cpu_spread.median if cpu_spread else None
        for r in f.get("store_only", []):
            suffix = "" if r["synchronous_commit"] == "on" else "_sync_commit_off"
            key = f"finalize_store_orders_per_s_{r['processes']}p{suffix}"
            summary[key] = r["orders_per_s"]
    else:
        summary["finalize_orders_per_s"] = None
        summary["finalize_lag_p99_ms"] = None
        summary["finalize_cpu_ms_per_order"] = None
    tv = other.get("ticket_verify") or {}
    summary["ticket_verify_codes_per_s"] = tv.get("codes_per_s")
    summary["ticket_verify_p99_ms"] = tv.get("ms_per_check_p99")
    summary["ticket_verify_cpu_ms"] = tv.get("cpu_ms_per_check")
    summary["goals"] = goals(summary)
    return summary


GOALS: dict[str, tuple[str, str, float]] = {
    # goal name: (summary key, comparison, bound)
    "holds_vs_ceiling >= 0.5": ("holds_vs_ceiling", ">=", 0.5),
    "holds_vs_pg >= 5": ("holds_vs_pg", ">=", 5.0),
    "holds p99 <= 0.5 x holds_pg p99": ("holds_p99_vs_pg_p99", "<=", 0.5),
    "holds p99 <= 3 x holds p50": ("holds_p99_vs_p50", "<=", 3.0),
    # Kept as ceiling CPU ÷ holds CPU (the ratio the rounds pair): >= 1/1.8 is the same goal.
    "holds CPU/req <= 1.8 x ceiling's": ("holds_vs_ceiling_cpu", ">=", 1 / 1.8),
    "finalize >= 200 orders/s (2 workers, 300 ms stand-in)": ("finalize_orders_per_s", ">=", 200),
    "finalize lag p99 <= 5 s": ("finalize_lag_p99_ms", "<=", 5000),
    "finalize CPU <= 4 ms per order (all processes)": ("finalize_cpu_ms_per_order", "<=", 4.0),
    "queue_bytes_per_fan <= 200": ("queue_bytes_per_fan", "<=", 200),
    "logins >= 40 per core-second": ("logins_per_cpu_s", ">=", 40),
    "ticket check <= 5 ms CPU (scanner path)": ("ticket_verify_cpu_ms", "<=", 5.0),
}


def goals(s: dict[str, Any]) -> dict[str, bool | None]:
    """Each goal judged on the median of its interleaved rounds (None: not measured)."""
    out: dict[str, bool | None] = {}
    for name, (key, op, bound) in GOALS.items():
        value = s.get(key)
        out[name] = None if value is None else (value >= bound if op == ">=" else value <= bound)
    p99_1m, p99_10k = s.get("queue_status_p99_ms_1m"), s.get("queue_status_p99_ms_10k")
    out["queue status p99 at 1M <= 1.5 x at 10k"] = (
        None if p99_1m is None or p99_10k is None else p99_1m <= 1.5 * p99_10k
    )
    return out


def print_goals(summary: dict[str, Any]) -> None:
    table = Table(title="Goals (median of interleaved rounds, 64 connections)")
    table.add_column("goal")
    table.add_column("median (min–max, IQR, n)")
    table.add_column("met")
    for name, ok in summary["goals"].items():
        key = GOALS.get(name, ("",))[0]
        spread = summary["ratios"].get(key)
        shown = (
            interleave.Spread(**spread).text()
            if spread
            else ("-" if summary.get(key) is None else str(summary.get(key)))
        )
        if name.startswith("queue status") and ok is not None:  # two figures, not one key
            shown = (
                f"{summary.get('queue_status_p99_ms_1m')} vs "
                f"{summary.get('queue_status_p99_ms_10k')} ms"
            )
        table.add_row(name, shown, "-" if ok is None else ("[green]yes[/]" if ok else "[red]no[/]"))
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
