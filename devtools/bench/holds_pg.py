"""The `holds_pg` scenario: the same hold done the Postgres way, behind the same kind of server.

loadtest/pg_hold_server.py (standalone: Litestar on uvicorn, 2 workers, uvloop,
httptools, msgspec body, JWT checked on the CPU like Onsale's) decides each
hold with one transaction on one hot row:

    UPDATE pg_sections SET available = available - $q WHERE id = $1 AND available >= $q
    RETURNING available;  INSERT INTO pg_holds ...

It gets the very request file the `holds` scenario sends (same path, tokens,
body), so the two differ only in how the hold is decided.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from devtools.bench.stack import ROOT, BenchStack, serve
from devtools.bench.wrk import WrkResult, run_wrk
from devtools.embedded import free_port

SERVER = ROOT / "loadtest" / "pg_hold_server.py"
# asyncpg connections per worker: more only adds lock waiters on the hot row
# (ANCHORS: 2 workers with pools of 2 measured best).
POOL_SIZE = 2


def uvicorn_args(app: str, port: int, workers: int, *extra: str) -> list[str]:
    """The same server settings as `onsale api`: uvicorn, uvloop, httptools, no access log."""
    return [
        sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--loop", "uvloop",
        "--http", "httptools", "--no-access-log", "--log-level", "warning", *extra,
    ]  # fmt: skip


def run(
    stack: BenchStack,
    requests_file: Path,
    event_id: str,
    connections: list[int],
    duration_s: int,
    on_result: Callable[[int, WrkResult], None],
) -> dict[int, WrkResult]:
    if not SERVER.exists():
        raise RuntimeError(f"{SERVER} is missing (run `onsale bench` from a checkout)")
    url = stack.new_database(migrated=False)
    env = {
        **os.environ,
        "BENCH_PG_URL": url,
        "BENCH_SECRET": stack.settings.secret_key,
        "BENCH_POOL_SIZE": str(POOL_SIZE),
    }
    subprocess.run(
        [sys.executable, str(SERVER), "setup", f"{event_id}:FLOOR", str(10**9)],
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = uvicorn_args("pg_hold_server:create_app", port, 2, "--app-dir", str(SERVER.parent))
    results: dict[int, WrkResult] = {}
    with serve(args, env, base + "/", ready_status=(404, 405)):
        run_wrk(base, requests_file, connections=64, duration_s=2)  # warm-up
        for conns in connections:
            results[conns] = run_wrk(base, requests_file, connections=conns, duration_s=duration_s)
            on_result(conns, results[conns])
    return results
