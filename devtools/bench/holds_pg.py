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

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from devtools.bench.stack import ROOT, BenchStack, serve, worker_pids
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


@contextlib.contextmanager
def server(stack: BenchStack, event_id: str) -> Iterator[tuple[str, list[int]]]:
    """The Postgres-way server on a fresh database, up while the block runs:
    (base URL, worker pids). It stays up beside the API so the two interleave."""
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
    with serve(args, env, base + "/", ready_status=(404, 405)) as proc:
        yield base, worker_pids(proc.pid)


def run_once(
    base: str, pids: list[int], requests_file: Path, connections: int, duration_s: int
) -> WrkResult:
    return run_wrk(
        base, requests_file, connections=connections, duration_s=duration_s, server_pids=pids
    )
