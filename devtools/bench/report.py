"""Writes a benchmark run: report.md, summary.json and PNG plots."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from pathlib import Path
from typing import Any

import msgspec

from devtools.bench.interleave import median_result
from devtools.bench.wrk import WrkResult


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB RAM, {platform.platform()}"


Rounds = dict[str, dict[int, list[WrkResult]]]


def medians(rounds: Rounds) -> dict[str, dict[int, WrkResult]]:
    """Per scenario and connection count, the round with the median req/s."""
    return {
        name: {c: median_result(rs) for c, rs in runs.items() if rs}
        for name, runs in rounds.items()
    }


def plot(http: dict[str, dict[int, WrkResult]], folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files: list[str] = []
    if not any(http.values()):
        return files
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, runs in http.items():
        conns = sorted(runs)
        ax.plot(conns, [runs[c].rps for c in conns], marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("connections")
    ax.set_ylabel("requests / s")
    ax.set_title("Throughput per scenario (median round)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "throughput.png", dpi=110)
    plt.close(fig)
    files.append("throughput.png")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, (label, attr) in zip(axes, (("p50", "p50_ms"), ("p99", "p99_ms")), strict=True):
        for name, runs in http.items():
            conns = sorted(runs)
            ax.plot(conns, [getattr(runs[c], attr) for c in conns], marker="o", label=name)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("connections")
        ax.set_title(f"Latency {label} (ms, median round)")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("ms")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(folder / "latency.png", dpi=110)
    plt.close(fig)
    files.append("latency.png")
    return files


def _span(values: list[float], fmt: str) -> str:
    """'median [min–max]' of one figure over the rounds."""
    ordered = sorted(values)
    mid = statistics.median(ordered)
    if len(ordered) == 1:
        return fmt.format(mid)
    return f"{fmt.format(mid)} [{fmt.format(ordered[0])}–{fmt.format(ordered[-1])}]"


def http_table(rounds: Rounds) -> list[str]:
    lines = [
        "| scenario | connections | rounds | req/s | p50 ms | p99 ms | CPU µs/req | "
        "conns per worker | non-2xx | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for name, runs in rounds.items():
        for c in sorted(runs):
            rs = runs[c]
            if not rs:
                continue
            cpu = [r.cpu_us_per_request for r in rs if r.cpu_us_per_request is not None]
            spread = sorted({str(r.connections_per_worker) for r in rs if r.connections_per_worker})
            lines.append(
                f"| {name} | {c} | {len(rs)} | {_span([r.rps for r in rs], '{:,.0f}')} | "
                f"{_span([r.p50_ms for r in rs], '{:.1f}')} | "
                f"{_span([r.p99_ms for r in rs], '{:.1f}')} | "
                f"{_span(cpu, '{:,.0f}') if cpu else '-'} | {' '.join(spread) or '-'} | "
                f"{sum(r.non_2xx for r in rs)} | {sum(r.errors for r in rs)} |"
            )
    return lines


RATIO_ROWS = (
    ("holds_vs_ceiling", "holds req/s ÷ ceiling req/s", "≥ 0.5"),
    ("holds_vs_pg", "holds req/s ÷ holds_pg req/s", "≥ 5"),
    ("holds_p99_vs_pg_p99", "holds p99 ÷ holds_pg p99", "≤ 0.5"),
    ("holds_p99_vs_p50", "holds p99 ÷ holds p50", "≤ 3"),
    ("ceiling_p99_vs_p50", "ceiling p99 ÷ ceiling p50 (reference)", ""),
    ("holds_vs_ceiling_cpu", "ceiling CPU/req ÷ holds CPU/req (API workers' own CPU)", "≥ 1/1.8"),
    ("finalize_orders_per_s", "finalize orders/s, 2 workers, 300 ms stand-in", "≥ 200"),
    ("finalize_lag_p99_ms", "finalize webhook → confirmed lag p99 (ms)", "≤ 5000"),
)


def ratio_table(summary: dict[str, Any]) -> list[str]:
    """The compared figures: median of the interleaved rounds with min–max and IQR."""
    out = [
        "| figure (64 connections) | median | min–max | IQR | rounds | goal |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for key, label, goal in RATIO_ROWS:
        r = summary.get("ratios", {}).get(key)
        if not r:
            continue
        digits = 2 if r["median"] < 100 else 0
        f = f"{{:,.{digits}f}}"
        out.append(
            f"| {label} | {f.format(r['median'])} | {f.format(r['min'])}–{f.format(r['max'])} | "
            f"{f.format(r['q1'])}–{f.format(r['q3'])} | {r['n']} | {goal} |"
        )
    return out


def write(
    folder: Path,
    rounds: Rounds,
    summary: dict[str, Any],
    extra_sections: list[str],
    command: str,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    raw = {
        name: {str(c): [msgspec.to_builtins(r) for r in rs] for c, rs in runs.items()}
        for name, runs in rounds.items()
    }
    (folder / "http_runs.json").write_text(json.dumps(raw, indent=2) + "\n")
    images = plot(medians(rounds), folder)
    load = summary.get("load_average_at_start")
    lines = [
        "# Onsale benchmark",
        "",
        f"- Command: `{command}`",
        f"- Machine: {machine()}",
        f"- Load average at start: {load}; at end: {summary.get('load_average_at_end')}",
        f"- Commit: {summary.get('commit') or commit()}",
        "- Servers: `onsale api --workers 2` and the Postgres-way server (uvicorn, uvloop, "
        "httptools, 2 workers each), both up; load generator: wrk (2 threads)",
        "- Each HTTP scenario ran in interleaved rounds (ceiling, holds, holds_pg, then the "
        "reverse order, …); figures are medians over rounds with [min–max].",
        "",
        "## Compared figures (interleaved rounds)",
        "",
        *ratio_table(summary),
        "",
        "## HTTP scenarios",
        "",
        *http_table(rounds),
        "",
        "## Summary",
        "",
        "```json",
        json.dumps(summary, indent=2, sort_keys=True),
        "```",
        "",
    ]
    lines += extra_sections
    lines += [f"![{name}]({name})" for name in images]
    (folder / "report.md").write_text("\n".join(lines) + "\n")


# The checkout this package was imported from: the code that ran, whatever the
# folder the bench was started in.
CHECKOUT = Path(__file__).resolve().parent


def commit() -> str:
    """The short commit of the checkout the bench ran from, or "unknown" outside git."""
    try:
        out = subprocess.run(
            ["git", "-C", str(CHECKOUT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str) + "\n"


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}" if value >= 10 else f"{value:.3g}{unit}"
    return f"{value:,}{unit}" if isinstance(value, int) else f"{value}{unit}"


def _tail_row(label: str, got: dict[str, Any]) -> str:
    w, ws = got["wrk"], got["workers"]

    def each(fmt: str) -> str:
        return " · ".join(fmt.format(**x) for x in ws)

    gen2 = " · ".join(str(x["gc"]["gen2"]["max_ms"]) for x in ws)
    return (
        f"| {label} | {w['p50_ms']:.1f} / {w['p99_ms']:.1f} | "
        f"{got['server_p50_ms']} / {got['server_p99_ms']} | {gen2} | "
        f"{each('{gc_share_of_time}')} | {each('{loop_stall_p99_ms}/{loop_stall_max_ms}')} | "
        f"{w.get('connections_per_worker')} | {w.get('cpu_share_per_worker')} | "
        f"{each('{batch_items_mean}/{batch_items_max}')} | {each('{batch_rtt_p99_ms}')} |"
    )


def sections(
    summary: dict[str, Any], other: dict[str, Any], prof: dict[str, Any] | None
) -> list[str]:
    """Markdown after the HTTP table: goals, the non-HTTP scenarios, the profile, the bounds."""
    out = ["## Goals", "", "| goal | met |", "|---|---|"]
    for name, ok in summary.get("goals", {}).items():
        out.append(f"| {name} | {'-' if ok is None else ('yes' if ok else '**no**')} |")
    out.append("")
    raw = other.get("lua_raw")
    if raw:
        out += [
            "## lua_raw: reserve_seats.lua through redis-py, no HTTP",
            "",
            "| mode | holds/s |",
            "|---|---:|",
            *[f"| {k.removesuffix('_ops')} | {v:,.0f} |" for k, v in raw.items()],
            "",
        ]
    tv = other.get("ticket_verify")
    if tv:
        out += [
            f"## ticket_verify: {tv['codes']:,} live ticket codes, public key only",
            "",
            "The scanner's code path (app/tickets/door.py): parse, Ed25519 signature, event, "
            "TOTP within one step; one process, no network.",
            "",
            "| codes/s | CPU ms/check | mean ms | p50 ms | p99 ms | max ms | goal |",
            "|---:|---:|---:|---:|---:|---:|---|",
            f"| {tv['codes_per_s']:,} | {tv['cpu_ms_per_check']} | {tv['ms_per_check_mean']} "
            f"| {tv['ms_per_check_p50']} | {tv['ms_per_check_p99']} | {tv['ms_per_check_max']} "
            f"| CPU and p50 <= {tv['goal_ms']} ms: {'yes' if tv['goal_met'] else '**no**'} |",
            "",
            f"{tv['forged_refused']:,} codes with one character changed: all refused.",
            "",
        ]
    q = other.get("queue")
    if q:
        out += [
            f"## queue: {q['fans']:,} fans queued in Redis",
            "",
            f"- joins: {q['joins_per_s']:,} /s (queue_join.lua, pipelines of 500, one client)",
            f"- memory per queued fan: {q['bytes_per_fan_used_memory']} B (INFO used_memory "
            f"delta), {q['bytes_per_fan_keys']} B (MEMORY USAGE of the queue keys)",
            "",
            "| status lookup | p50 µs | p99 µs | Redis µs/call | n |",
            "|---|---:|---:|---:|---:|",
        ]
        rows = (("10k queue", "status_at_10k"), (f"{q['fans']:,} queue", "status_at_full"))
        for label, key in rows:
            r = q[key]
            out.append(
                f"| {label} | {r['p50_us']:.0f} | {r['p99_us']:.0f} | "
                f"{r['server_us_per_call']:.1f} | {r['n']} |"
            )
        out.append("")
    tail = other.get("tail")
    if tail:
        out += [
            "## tail: where the holds p99 at 64 connections comes from",
            "",
            "The API with a probe in each worker (devtools/bench/tailprobe.py): GC pauses "
            "(gc.callbacks), event-loop stalls (a 2 ms timer's late wake-ups), time from the "
            "ASGI call to the first response byte (server), the batcher's pipelines; run as "
            "shipped (gc.freeze() after startup) and with the freeze undone, interleaved.",
            "",
            "| run | wrk p50 / p99 ms | server p50 / p99 ms | gen2 GC max ms (per worker) | "
            "GC share of time | loop stall p99 / max ms | conns per worker | CPU share | "
            "items per pipeline (mean / max) | pipeline RTT p99 ms |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for label, runs in tail.items():
            for got in runs:
                out.append(_tail_row(label, got))
        out.append("")
    logins = other.get("logins")
    if logins:
        out += [
            "## logins: POST /auth/login (argon2 verify in the API's threads)",
            "",
            f"- {logins['logins_per_s']:,} logins/s at {logins['connections']} connections "
            f"(p50 {logins['p50_ms']} ms, p99 {logins['p99_ms']} ms, non-2xx {logins['non_2xx']})",
            f"- **{logins['logins_per_cpu_s']} logins per CPU-second** of the API workers "
            f"({logins['api_cpu_s']} CPU-s for {logins['logins']} logins): logins per core.",
            "",
        ]
    f = other.get("finalize")
    if f:
        out += [
            "## finalize: orders per second end to end, 2 workers, payment stand-in",
            "",
            f"Every Stripe call answers after {f.get('stand_in_delay_ms')} ms "
            "(devtools/bench/paystub.py); each worker runs up to "
            f"{(f['end_to_end'] or [{}])[0].get('max_jobs')} jobs at once "
            "(ONSALE_WORKER_MAX_JOBS).",
            "",
            "| run | orders | orders/s | webhooks/s fired | lag p50 ms | lag p99 ms | "
            "worker CPU ms/order | API CPU ms/order |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for i, r in enumerate(f["end_to_end"]):
            out.append(
                f"| end to end, round {i + 1}, {r['workers']} workers | {r['orders']} | "
                f"{r['orders_per_s']} | {_fmt(r.get('webhooks_per_s'))} | "
                f"{_fmt(r['lag_p50_ms'])} | {_fmt(r['lag_p99_ms'])} | "
                f"{_fmt(r.get('worker_cpu_ms_per_order'))} | "
                f"{_fmt(r.get('api_cpu_ms_per_order'))} |"
            )
        for r in f["store_only"]:
            out.append(
                f"| Redis + Postgres part only, {r['processes']} process(es), "
                f"synchronous_commit={r['synchronous_commit']} | {r['orders']} | "
                f"{r['orders_per_s']} | - | - | - | - | - |"
            )
        out.append("")
        cpu_rows: list[dict[str, Any]] = [r for r in f["end_to_end"] if r.get("cpu_ms_per_order")]
        if cpu_rows:
            names = ["workers", "API", *cpu_rows[0]["cpu_ms_per_order"]]
            out += [
                "CPU per order of every process it touches (from /proc, per round); with "
                "2 cores, orders/s can never pass 2,000 / the total:",
                "",
                "| round | " + " | ".join(names) + " | total ms | bound on 2 cores |",
                "|---|" + "---:|" * (len(names) + 2),
            ]
            for i, r in enumerate(cpu_rows):
                parts = [
                    r.get("worker_cpu_ms_per_order") or 0.0,
                    r.get("api_cpu_ms_per_order") or 0.0,
                    *r["cpu_ms_per_order"].values(),
                ]
                total = sum(parts)
                out.append(
                    f"| {i + 1} | "
                    + " | ".join(f"{p:.2f}" for p in parts)
                    + f" | {total:.2f} | {2000 / total:,.0f}/s |"
                    if total
                    else f"| {i + 1} | - |"
                )
            out.append("")
        wprof = f.get("worker_profile")
        if wprof:
            out += [
                "### Where a finalize worker's CPU goes (py-spy, both workers, one extra round)",
                "",
                f"{wprof['samples']} CPU samples over an extra round of "
                f"{wprof.get('load', {}).get('orders', '-')} orders "
                f"({wprof.get('load', {}).get('orders_per_s', '-')} orders/s while profiled; "
                "not among the rounds above).",
                "",
                "| layer (innermost frame) | share of CPU samples |",
                "|---|---:|",
                *[f"| {name} | {pct} % |" for name, pct in wprof["layers"].items()],
                "",
                "| top frames by own time | share |",
                "|---|---:|",
                *[f"| `{name}` | {pct} % |" for name, pct in wprof["top_own"][:12]],
                "",
            ]
    if prof:
        out += [
            "## Profile of the hold path (py-spy, one API worker, holds at 64 connections)",
            "",
            f"Flame graph: [{prof.get('flame_graph')}]({prof.get('flame_graph')}); "
            f"{prof['samples']} CPU samples; load during the profile: "
            f"{prof['load'].rps:,.0f} req/s."
            if prof.get("load")
            else "",
            "",
            "| layer (inclusive) | share of CPU samples |",
            "|---|---:|",
            *[f"| {name} | {pct} % |" for name, pct in prof["layers"].items()],
            "",
            "| top frames by own time | share |",
            "|---|---:|",
            *[f"| `{name}` | {pct} % |" for name, pct in prof["top_own"][:10]],
            "",
        ]
    errors = {k: v for k, v in other.items() if k.endswith("_error")}
    if errors:
        out += ["## Scenarios that failed", ""]
        out += [f"- {k.removesuffix('_error')}: `{v}`" for k, v in errors.items()]
        out.append("")
    out += bounds(summary, other, prof)
    out += TRIED
    return out


TRIED = [
    "## What was tried on the hot paths",
    "",
    "- Already in place before the profile: msgspec Structs for bodies and responses; one "
    "Redis round trip per hold (admission session check, limits, seats, hold record, expiry "
    "index, ledger stream and the Idempotency-Key record in lua/reserve_seats.lua); no "
    "Postgres on the hold path; the handler reads resources from app.state instead of "
    "Litestar DI; verified JWTs cached until expiry; uvloop + httptools; access log off "
    "below INFO (the bench runs the API at WARNING).",
    "- The profile showed the socket work of each awaited Redis command (write, read, "
    "redis-py's stale-data check, timeouts) as the largest cost beyond the ceiling, so "
    "`Scripts.call_batched` (app/core/batcher.py) now pipelines the EVALSHAs of concurrent "
    "holds of a process into one round trip (each script still atomic, results and errors "
    "per caller, NOSCRIPT fallback, up to 4 batches in flight so low concurrency never waits "
    "for another batch). On the 2-core development machine: holds_vs_ceiling 0.26-0.35 at 64 "
    "connections before, 0.57 after (ceiling 10.2k/s, holds 5.8k/s, p99 65 ms).",
    "- Per request in httpobs: request ids from a per-process prefix + counter instead of "
    "uuid4 (a urandom syscall each), Prometheus label children cached (labels() hashes and "
    "locks each call); the same cache for the Redis command latency metric.",
    "- finalize: orders of concurrent jobs are group-committed (app/orders/finalize.py "
    "_GroupCommit): one section-row lock and one WAL flush per batch instead of per order; "
    "a batch Postgres refuses is retried one order per transaction.",
    "- The hold tail: the bench's tail scenario (devtools/bench/tailprobe.py) timed "
    "gen2 garbage collections of 250-330 ms per API worker under load, each a stall of "
    "every request in flight; the server factory now runs gc.collect() + gc.freeze() "
    "once the app is built (the long-lived objects leave the collector's reach), and "
    "gen2 pauses dropped to 2-50 ms. Remaining tail: event-loop stalls from CPU taken "
    "by other processes on a shared machine, and an uneven spread of wrk's 64 "
    "connections over the two uvicorn workers (one shared listening socket: 40/24 "
    "or 54/10 seen), which loads one worker more.",
    "- The ceiling ratio: measured as CPU per request of the API workers too (ceiling "
    "÷ holds), which a noisy neighbour disturbs far less than req/s; holds cost about "
    "twice the ceiling's CPU (JWT + admission token, header parameters, the Redis "
    "pipeline, the response).",
    "- finalize: arq's concurrency from ONSALE_WORKER_MAX_JOBS (200, Little's law: "
    "500 orders/s x ~0.65 s per job = ~325 jobs in flight, ~163 per worker) and the Stripe "
    "connection pool sized to it.",
    "- finalize, from the worker profile (both workers, py-spy, an extra round): the Stripe "
    "SDK's httpx client cost ~16 ms of CPU per call at a worker's 200 connections (httpcore's "
    "pool scans every connection, a poll() each, on every request and release); the SDK's "
    "aiohttp client does the same call for ~0.5 ms (a micro-benchmark against the stand-in "
    "at 200 in flight: 16-18 vs 0.4-0.5 CPU ms per call). arq claimed each job with four "
    "round trips (WATCH / EXISTS / ZSCORE / MULTI-PSETEX-EXEC / UNWATCH): one Lua call per "
    "poll now (workers/claiming.py, lua/claim_jobs.lua). The capture bookkeeping (payment "
    "captured, webhook events processed, journal settled) was three pool queries, each with "
    "asyncpg's reset query on release: one statement shared by the concurrent jobs now. The "
    "hold read before the conversion names the session to end (one read less). The "
    "notification cron built a new HTTP client and SSL context every tick (arq hands each "
    "job a copy of ctx): kept now. Workers on uvloop: 3.3-3.9 vs 4.2-4.6 worker CPU ms per "
    "order, A/B twice (adopted; before these changes it measured no gain). The bench's "
    "webhook client moved to aiohttp too: with httpx it could fire only ~70 webhooks/s.",
    "- Not adopted: granian (measured the same as uvicorn + httptools on POST paths on a "
    "machine like this one, see ANCHORS); bigger asyncpg pools for holds_pg (more lock "
    "waiters on the hot row, slower).",
    "",
]


def _holds_figures(goal: str, s: dict[str, Any]) -> str:
    """The figures a missed holds goal is judged on, from this run."""
    if goal.startswith("holds p99 <= 3"):
        return (
            f"p99 {s.get('holds_p99_ms')} ms = {s.get('holds_p99_vs_p50')} x p50 "
            f"{s.get('holds_p50_ms')} ms"
        )
    if goal.startswith("holds p99"):
        return (
            f"p99 {s.get('holds_p99_ms')} vs holds_pg {s.get('holds_pg_p99_ms')} ms, "
            f"median ratio {s.get('holds_p99_vs_pg_p99')}"
        )
    if goal.startswith("holds CPU"):
        ratio = s.get("holds_vs_ceiling_cpu")
        return f"{1 / ratio:.2f} x the ceiling's CPU per request" if ratio else "-"
    return f"{s.get('holds_vs_ceiling')} of the ceiling's req/s"


def bounds(s: dict[str, Any], other: dict[str, Any], prof: dict[str, Any] | None) -> list[str]:
    """What bounds each missed goal, in numbers from this run."""
    missed = [name for name, ok in s.get("goals", {}).items() if ok is False]
    if not missed:
        return ["## What bounds the figures", "", "Every goal was met in this run.", ""]
    out = ["## What bounds the missed goals", ""]
    layers = (prof or {}).get("layers", {})
    for name in missed:
        if name.startswith(("holds_vs_ceiling", "holds p99", "holds CPU")):
            out.append(
                f"- **{name}** ({_holds_figures(name, s)}): the API workers are "
                "CPU-bound on 2 cores shared with wrk, Redis and Postgres. A hold does one Redis "
                "round trip (batched with concurrent holds of the process) and no Postgres; "
                "the ceiling does none, and a localhost round trip costs "
                f"{s.get('redis_ping_rtt_us', '-')} µs here. Profile shares: "
                + ", ".join(f"{k} {v} %" for k, v in list(layers.items())[:5])
                + "."
            )
        elif name.startswith("holds_vs_pg"):
            out.append(
                f"- **{name}** ({s.get('holds_vs_pg')}x): both servers share the same HTTP stack, "
                "whose cost per request (see ceiling) is a large fixed part of each; Postgres' "
                "hot row serializes holds_pg, Redis does not, so the gap widens with connections."
            )
        elif name.startswith("finalize"):
            f = other.get("finalize", {})
            e2e = f.get("end_to_end") or [{}]
            key = "worker_cpu_ms_per_order"
            cpu = sorted(r[key] for r in e2e if key in r)
            worker_ms = cpu[len(cpu) // 2] if cpu else None
            bound = f"{2000 / worker_ms:,.0f}" if worker_ms else "-"
            totals = sorted(
                (r.get("worker_cpu_ms_per_order") or 0.0)
                + (r.get("api_cpu_ms_per_order") or 0.0)
                + sum(r["cpu_ms_per_order"].values())
                for r in e2e
                if r.get("cpu_ms_per_order")
            )
            total = totals[len(totals) // 2] if totals else None
            total_ms = f"{total:.1f}" if total else "-"
            all_bound = f"{2000 / total:,.0f}" if total else "-"
            store = {
                (r["processes"], r["synchronous_commit"]): r["orders_per_s"]
                for r in f.get("store_only", [])
            }
            out.append(
                f"- **{name}** (median {s.get('finalize_orders_per_s')} orders/s, lag p99 "
                f"{s.get('finalize_lag_p99_ms')} ms, {e2e[0].get('max_jobs')} jobs per worker): "
                f"each order costs the workers {worker_ms} ms of CPU (two Stripe SDK calls, "
                "the arq job, convert_hold.lua, the group-committed order transaction and the "
                f"capture bookkeeping), so 2 workers alone on 2 cores could not pass ~{bound} "
                "orders/s, and an order also costs the API, Postgres, Redis and the stand-in "
                f"CPU (per process in the finalize section: ~{total_ms} ms in all, a bound of "
                f"~{all_bound} orders/s on 2 idle cores). Stripe's 300 ms is not the limit: by "
                "Little's law the in-flight jobs cover it. The Redis + Postgres part alone "
                f"did {store.get((2, 'on'), '-')}/s with 2 processes."
            )
        elif name.startswith("queue_bytes"):
            out.append(
                f"- **{name}** ({s.get('queue_bytes_per_fan')} B): the queue's sorted set "
                "(skiplist + dict per member) dominates; see the queue section."
            )
        elif name.startswith("queue status"):
            out.append(
                f"- **{name}** ({s.get('queue_status_p99_ms_1m')} vs "
                f"{s.get('queue_status_p99_ms_10k')} ms): the lookup is a ZRANK (O(log N)); "
                "the p99 is client round-trip noise on a loaded machine (see the Redis µs/call)."
            )
    out.append("")
    return out
