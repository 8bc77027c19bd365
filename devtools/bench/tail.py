"""The `tail` scenario: holds at 64 connections on the instrumented API (tailprobe), analysed.

Compares wrk's view (send to response, including the time a request waits in
the socket before its worker reads it) with the server's (ASGI call to first
response byte), and lines the slow requests up with what each worker saw in
the same run: garbage collections, event-loop stalls, the batcher's
pipelines, the spread of connections and CPU over the two workers.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

from devtools.bench.holds_pg import uvicorn_args
from devtools.bench.stack import BenchStack, serve, worker_pids
from devtools.bench.wrk import WrkResult, run_wrk
from devtools.embedded import free_port


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def run(
    stack: BenchStack, requests_file: Path, duration_s: int, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    probe_dir = Path(tempfile.mkdtemp(prefix="onsale-tailprobe-"))
    metrics_dir = Path(tempfile.mkdtemp(prefix="onsale-metrics-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **stack.settings.as_env(),
        "ONSALE_TAILPROBE_DIR": str(probe_dir),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        **(extra_env or {}),
    }
    args = uvicorn_args("devtools.bench.tailprobe:create", port, 2)
    try:
        with serve(args, env, base + "/health/ready") as proc:
            pids = worker_pids(proc.pid)
            run_wrk(base, requests_file, connections=64, duration_s=2)  # warm-up
            t0 = time.time()
            result = run_wrk(
                base, requests_file, connections=64, duration_s=duration_s, server_pids=pids
            )
            t1 = time.time()
            time.sleep(1.5)  # the workers' next dump
        workers = [msgspec.json.decode(p.read_bytes()) for p in sorted(probe_dir.glob("*.json"))]
    finally:
        shutil.rmtree(probe_dir, ignore_errors=True)
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return analyse(result, workers, t0, t1)


def analyse(
    result: WrkResult, workers: list[dict[str, Any]], t0: float, t1: float
) -> dict[str, Any]:
    span = t1 - t0
    out: dict[str, Any] = {
        "wrk": msgspec.to_builtins(result),
        "window_s": round(span, 2),
        "workers": [],
    }
    slow_server: list[float] = []
    for w in workers:
        req = [(t, ms) for t, ms in w["requests"] if t0 <= t <= t1]
        lat = [ms for _, ms in req]
        gcs = [(t, g, ms) for t, g, ms in w["gc"] if t0 <= t <= t1]
        stalls = [ms for t, ms in w["stalls"] if t0 <= t <= t1]
        batches = [(n, rtt, wait) for t, n, rtt, wait in w["batches"] if t0 <= t <= t1]
        by_gen: dict[str, dict[str, float]] = {}
        for gen in (0, 1, 2):
            pauses = [ms for _, g, ms in gcs if g == gen]
            by_gen[f"gen{gen}"] = {
                "count": len(pauses),
                "total_ms": round(sum(pauses), 1),
                "max_ms": round(max(pauses), 2) if pauses else 0.0,
            }
        slow_server += lat
        out["workers"].append(
            {
                "pid": w["pid"],
                "requests": len(req),
                "server_p50_ms": _pct(lat, 0.5),
                "server_p99_ms": _pct(lat, 0.99),
                "gc": by_gen,
                "gc_share_of_time": round(sum(ms for _, _, ms in gcs) / 1000 / span, 4),
                "loop_stalls_over_2ms": len(stalls),
                "loop_stall_p99_ms": _pct(stalls, 0.99),
                "loop_stall_max_ms": max(stalls) if stalls else 0.0,
                "loop_stalled_share": round(sum(stalls) / 1000 / span, 3),
                "batches": len(batches),
                "batch_items_mean": round(statistics.mean(n for n, _, _ in batches), 1)
                if batches
                else None,
                "batch_items_max": max((n for n, _, _ in batches), default=None),
                "batch_rtt_p50_ms": _pct([r for _, r, _ in batches], 0.5),
                "batch_rtt_p99_ms": _pct([r for _, r, _ in batches], 0.99),
                "batch_wait_p99_ms": _pct([w_ for _, _, w_ in batches], 0.99),
            }
        )
    out["server_p50_ms"] = _pct(slow_server, 0.5)
    out["server_p99_ms"] = _pct(slow_server, 0.99)
    return out


def compare(
    stack: BenchStack, requests_file: Path, duration_s: int, rounds: int, log: Any
) -> dict[str, Any]:
    """The API as it runs (gc.freeze() at startup) against the same without the freeze,
    interleaved: the evidence for that fix, and what is left of the tail."""
    runs: dict[str, list[dict[str, Any]]] = {"frozen": [], "unfrozen": []}
    for r in range(rounds):
        for label in ("frozen", "unfrozen") if r % 2 == 0 else ("unfrozen", "frozen"):
            extra = {"ONSALE_TAILPROBE_UNFREEZE": "1"} if label == "unfrozen" else {}
            got = run(stack, requests_file, duration_s, extra)
            runs[label].append(got)
            log(f"  round {r + 1} {label:8s} {brief(got)}")
    return runs


def brief(got: dict[str, Any]) -> str:
    w = got["wrk"]
    gen2 = [x["gc"]["gen2"]["max_ms"] for x in got["workers"]]
    stalls = [x["loop_stall_max_ms"] for x in got["workers"]]
    return (
        f"wrk p50 {w['p50_ms']:.1f} p99 {w['p99_ms']:.1f} ms; server p50 {got['server_p50_ms']} "
        f"p99 {got['server_p99_ms']} ms; gen2 max {gen2} ms; loop stall max {stalls} ms; "
        f"conns/worker {w['connections_per_worker']}"
    )
