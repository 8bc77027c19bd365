"""Beyond one machine, measured: holds per API core on a Redis Cluster against a single Redis
(interleaved rounds in the same run), Redis CPU per 1,000 holds, and room-status polls per core
with and without nginx's cache.

    python -m devtools.bench.cluster [--seconds 5] [--rounds 2] [--connections 32]

One API process with one uvicorn worker per measurement, so "per core" is
requests divided by the CPU seconds that process (and, for the cached polls,
nginx) spent: a figure that survives a shared machine better than req/s.
Redis CPU comes from each server's own INFO cpu. Writes
bench-results/cluster-<timestamp>/summary.json and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import redis as redis_sync

from app.core.settings import Settings
from devtools.bench import scenarios
from devtools.bench.stack import ROOT, BenchStack, access_token, bulk_users, publish_event
from devtools.bench.wrk import WrkResult, ensure_wrk, run_wrk, write_requests
from devtools.cluster import LocalCluster
from devtools.embedded import EmbeddedPostgres, EmbeddedRedis
from devtools.nginx import nginx

TICK = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in task.read_text().split()]
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live children (from /proc)."""
    total = 0
    for each in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def redis_cpu(urls: list[str]) -> float:
    """CPU seconds the Redis servers at these addresses have used (their INFO cpu)."""
    total = 0.0
    for url in urls:
        with redis_sync.Redis.from_url(url) as client:
            info = client.info("cpu")
            total += float(info["used_cpu_sys"]) + float(info["used_cpu_user"])
    return total


def measure(pid: int, redis_urls: list[str], run: Any) -> tuple[WrkResult, float, float]:
    """Run `run()` (a wrk run) and return it with the API's and Redis's CPU seconds."""
    api0, redis0 = cpu_seconds(pid), redis_cpu(redis_urls)
    result: WrkResult = run()
    return result, cpu_seconds(pid) - api0, redis_cpu(redis_urls) - redis0


@contextlib.contextmanager
def mode_stack(
    base: Settings, server_url: str, redis_url: str, jobs_url: str, work: Path
) -> Iterator[BenchStack]:
    """A fresh database and one single-worker API on this Redis (or cluster)."""
    env = {"ONSALE_REDIS_URL": redis_url, "ONSALE_DATABASE_URL": server_url}
    with BenchStack(base, env) as stack:
        stack.settings = msgspec.structs.replace(stack.settings, jobs_redis_url=jobs_url)
        stack.start_api(workers=1)
        work.mkdir(parents=True, exist_ok=True)
        yield stack


def holds_round(
    stack: BenchStack,
    work: Path,
    redis_urls: list[str],
    replica_urls: list[str],
    connections: int,
    seconds: int,
) -> dict[str, float]:
    requests = scenarios.holds_requests(stack, work)
    assert stack.api is not None
    replicas0 = redis_cpu(replica_urls)
    result, api_cpu, redis_s = measure(
        stack.api.pid,
        redis_urls,
        lambda: run_wrk(
            stack.base_url, requests, connections=connections, duration_s=seconds, threads=1
        ),
    )
    ok = result.requests - result.errors - result.non_2xx
    replicas_s = redis_cpu(replica_urls) - replicas0
    return {
        "holds_per_s": ok / result.duration_s,
        "holds_per_api_core_s": ok / api_cpu if api_cpu else 0.0,
        "redis_cpu_ms_per_1000_holds": redis_s / ok * 1e6 if ok else 0.0,
        # A cluster's replicas apply every write too: their cost, apart.
        "replica_cpu_ms_per_1000_holds": replicas_s / ok * 1e6 if ok else 0.0,
        "p99_ms": result.p99_ms,
        "errors": float(result.errors + result.non_2xx),
    }


async def room_event(stack: BenchStack) -> str:
    settings = stack.settings
    (organizer,) = await bulk_users(settings.database_url, settings.secret_key, 1, "organizer")
    auth = {"Authorization": f"Bearer {access_token(settings, organizer)}"}
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 100}]
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        return await publish_event(
            client,
            auth,
            name="Bench Room",
            max_per_order=4,
            max_per_user=4,
            sections=sections,
            waiting_room={"enabled": True},
        )


def polls(stack: BenchStack, work: Path, connections: int, seconds: int) -> dict[str, float]:
    """GET /room straight to the API, then through nginx's cache (polls per CPU second)."""
    event_id = asyncio.run(room_event(stack))
    requests = write_requests([("GET", f"/api/v1/events/{event_id}/room", {}, "")], work)
    assert stack.api is not None
    pid = stack.api.pid
    direct, api_cpu, _ = measure(
        pid,
        [],
        lambda: run_wrk(
            stack.base_url, requests, connections=connections, duration_s=seconds, threads=1
        ),
    )
    port = stack.base_url.rsplit(":", 1)[1]
    with nginx([f"127.0.0.1:{port}"]) as proxy:
        nginx0, api0 = cpu_seconds(proxy.pid), cpu_seconds(pid)
        cached = run_wrk(
            proxy.base, requests, connections=connections, duration_s=seconds, threads=1
        )
        nginx_cpu, api_cached = cpu_seconds(proxy.pid) - nginx0, cpu_seconds(pid) - api0
    return {
        "direct_polls_per_s": direct.rps,
        "direct_polls_per_api_core_s": direct.requests / api_cpu if api_cpu else 0.0,
        "cached_polls_per_s": cached.rps,
        "cached_polls_per_core_s": cached.requests / (nginx_cpu + api_cached)
        if nginx_cpu + api_cached
        else 0.0,
        "cached_api_share": api_cached / (nginx_cpu + api_cached) if nginx_cpu else 0.0,
    }


def mean(rows: list[dict[str, float]], key: str) -> float:
    return sum(r[key] for r in rows) / len(rows) if rows else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    ensure_wrk()
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench-results" / f"cluster-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    base = Settings.from_env({"ONSALE_LOG_LEVEL": "WARNING"})
    with tempfile.TemporaryDirectory(prefix="onsale-bench-cluster-") as name:
        tmp = Path(name)
        pg = EmbeddedPostgres(tmp / "postgres")
        single = EmbeddedRedis(tmp / "valkey", persist=False)
        cluster = LocalCluster(tmp / "cluster")
        try:
            server_url = pg.start("postgres")
            single_url = single.start()
            cluster_url = cluster.start()
            masters = [f"redis://127.0.0.1:{n.port}" for n in cluster.primaries()]
            replicas = [
                f"redis://127.0.0.1:{n.port}"
                for n in cluster.running()
                if f"redis://127.0.0.1:{n.port}" not in masters
            ]
            modes = {
                "single": (single_url, "", [single_url], []),
                "cluster": (cluster_url, single_url, masters, replicas),
            }
            rows: dict[str, list[dict[str, float]]] = {"single": [], "cluster": []}
            for i in range(args.rounds):
                # Interleaved, order swapped each round: drift on the machine hits both.
                order = ["single", "cluster"] if i % 2 == 0 else ["cluster", "single"]
                for mode in order:
                    url, jobs, redis_urls, replica_urls = modes[mode]
                    work = tmp / f"{mode}-{i}"
                    with mode_stack(base, server_url, url, jobs, work) as stack:
                        row = holds_round(
                            stack, work, redis_urls, replica_urls, args.connections, args.seconds
                        )
                    rows[mode].append(row)
                    print(f"round {i + 1} {mode}: {json.dumps(row)}", flush=True)
            with mode_stack(base, server_url, single_url, "", tmp / "polls") as stack:
                poll = polls(stack, tmp / "polls", args.connections, args.seconds)
            print(f"polls: {json.dumps(poll)}", flush=True)
        finally:
            cluster.stop()
            single.stop()
            pg.stop()
    keys = (
        "holds_per_s",
        "holds_per_api_core_s",
        "redis_cpu_ms_per_1000_holds",
        "replica_cpu_ms_per_1000_holds",
        "p99_ms",
    )
    summary = {
        "when": stamp,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "connections": args.connections,
        "cpu_count": os.cpu_count(),
        "elapsed_s": round(time.monotonic() - started, 1),
        "holds": {mode: {k: round(mean(r, k), 2) for k in keys} for mode, r in rows.items()},
        "holds_rounds": rows,
        "polls": {k: round(v, 3) for k, v in poll.items()},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary["holds"], indent=2))
    print(json.dumps(summary["polls"], indent=2))
    print(f"written: {out / 'summary.json'}")


if __name__ == "__main__":
    main()
