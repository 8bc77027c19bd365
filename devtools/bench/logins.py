"""The `logins` scenario: POST /api/v1/auth/login per second, and per CPU-second of the API.

argon2 is deliberately expensive, so logins are bound by CPU, not by round
trips: the figure that carries over to another machine is logins per
CPU-second of the API's worker processes (argon2 runs in their threads and
counts there), which is also what a shared machine disturbs least. The
accounts are the bench's own (one password hash made with the app's current
argon2 parameters, see app/core/security.py), each logging in with the right
password in turn.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import msgspec

from devtools.bench.stack import BENCH_PASSWORD, BenchStack, bulk_users
from devtools.bench.wrk import run_wrk, write_requests

JSON = {"Content-Type": "application/json"}
ACCOUNTS = 500
# Twice the cores: enough to keep every core busy without a long queue.
CONNECTIONS = 2 * (os.cpu_count() or 2)


def run(stack: BenchStack, work: Path, duration_s: int) -> dict[str, Any]:
    users = asyncio.run(
        bulk_users(stack.settings.database_url, stack.settings.secret_key, ACCOUNTS)
    )
    lines = [
        (
            "POST",
            "/api/v1/auth/login",
            JSON,
            msgspec.json.encode(
                {"email": f"bench-{u.user_id}@example.com", "password": BENCH_PASSWORD}
            ).decode(),
        )
        for u in users
    ]
    stack.start_api(workers=2)
    try:
        result = run_wrk(
            stack.base_url,
            write_requests(lines, work),
            connections=CONNECTIONS,
            duration_s=duration_s,
            server_pids=stack.worker_pids(),
        )
    finally:
        stack.stop_api()
    cpu_s = (result.cpu_us_per_request or 0) * result.requests / 1e6
    ok = result.requests - result.non_2xx
    return {
        "connections": CONNECTIONS,
        "logins": result.requests,
        "non_2xx": result.non_2xx,
        "errors": result.errors,
        "logins_per_s": round(result.rps, 1),
        "p50_ms": round(result.p50_ms, 1),
        "p99_ms": round(result.p99_ms, 1),
        "api_cpu_s": round(cpu_s, 2),
        "logins_per_cpu_s": round(ok / cpu_s, 1) if cpu_s else None,
    }
