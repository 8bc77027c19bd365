"""The servers a benchmark run measures: Redis, Postgres, and `onsale api --workers 2`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import asyncpg
import httpx
import msgspec

from app.core.clock import utcnow
from app.core.db import with_database
from app.core.ids import new_id
from app.core.migrate import migrate
from app.core.security import Principal, hash_password, issue_access_token
from app.core.settings import Settings
from devtools.embedded import EmbeddedPostgres, EmbeddedRedis, free_port

BENCH_PASSWORD = "bench password 123"
# The repository (loadtest/ holds the standalone Postgres-way hold server).
ROOT = Path(__file__).resolve().parent.parent.parent


class BenchStack:
    """Starts what is not configured, with a fresh database for this run."""

    def __init__(self, settings: Settings, env: dict[str, str]) -> None:
        self.base_settings = settings
        self.env = env
        self.tmp = Path(tempfile.mkdtemp(prefix="onsale-bench-"))
        self.redis: EmbeddedRedis | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.settings = settings
        self.api: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.server_url = ""

    def __enter__(self) -> BenchStack:
        redis_url = self.env.get("ONSALE_REDIS_URL", "")
        if not redis_url:
            self.redis = EmbeddedRedis(self.tmp / "valkey", persist=False)
            redis_url = self.redis.start()
        server_url = self.env.get("ONSALE_DATABASE_URL", "")
        if not server_url:
            self.postgres = EmbeddedPostgres(self.tmp / "postgres")
            server_url = self.postgres.start("postgres")
        self.server_url = server_url
        database_url = self.new_database()
        self.settings = msgspec.structs.replace(
            self.base_settings,
            redis_url=redis_url,
            database_url=database_url,
            bench_endpoints=True,
            log_level="WARNING",
        )
        return self

    def new_database(self, *, migrated: bool = True) -> str:
        """A new, empty database on the run's Postgres server (migrated unless told not)."""
        return asyncio.run(self._fresh_database(self.server_url, migrated))

    async def _fresh_database(self, server_url: str, migrated: bool) -> str:
        name = f"onsale_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        url = with_database(server_url, name)
        if migrated:
            conn = await asyncpg.connect(url)
            try:
                await migrate(conn)
            finally:
                await conn.close()
        return url

    def start_api(self, workers: int = 2) -> str:
        port = free_port()
        env = {**os.environ, **self.settings.as_env()}
        self.api = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "api", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers)],
            env=env,
            start_new_session=True,
        )  # fmt: skip
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base_url + "/health/ready", timeout=1).status_code == 200:
                    return self.base_url
            time.sleep(0.2)
        raise RuntimeError("API did not become ready")

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes of the API (children started by multiprocessing)."""
        return worker_pids(self.api.pid) if self.api is not None else []

    def stop_api(self) -> None:
        if self.api is not None:
            stop_group(self.api)
        self.api = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_api()
        for server in (self.redis, self.postgres):
            if server is not None:
                server.stop()

    def server_pids(self) -> dict[str, list[int]]:
        """The embedded Postgres (postmaster and its backends) and Valkey processes."""
        out: dict[str, list[int]] = {"postgres": [], "redis": []}
        for pid_file in self.tmp.rglob("postmaster.pid"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                out["postgres"].append(int(pid_file.read_text().split()[0]))
        server = getattr(getattr(self, "redis", None), "_server", None)
        process = getattr(server, "_process", None)
        if process is not None:
            out["redis"].append(process.pid)
        return out


def descendants(pid: int) -> list[int]:
    """pid and every living process below it (Postgres backends under the postmaster)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rpartition(")")[2].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def worker_pids(parent: int) -> list[int]:
    """Children of `parent` that are multiprocessing workers (not its resource tracker)."""
    pids: list[int] = []
    for task in Path(f"/proc/{parent}/task").glob("*/children"):
        for child in task.read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                pids.append(int(child))
    return sorted(pids)


@contextlib.contextmanager
def serve(
    args: list[str], env: dict[str, str], ready_url: str, ready_status: tuple[int, ...] = (200,)
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process (own session) that answers `ready_url`; stopped with its children."""
    proc = subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{args[:5]} exited with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(ready_url, timeout=1).status_code in ready_status:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{args[:5]} not ready within 60 s")
            time.sleep(0.2)
        yield proc
    finally:
        stop_group(proc)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


async def bulk_users(database_url: str, secret: str, n: int, role: str = "fan") -> list[Principal]:
    """n accounts inserted in one round trip, with one shared password hash."""
    password_hash = hash_password(BENCH_PASSWORD)
    ids = [new_id() for _ in range(n)]
    conn = await asyncpg.connect(database_url)
    try:
        await conn.executemany(
            "INSERT INTO users (user_id, email, password_hash) VALUES ($1, $2, $3)",
            [(uuid.UUID(i), f"bench-{i}@example.com", password_hash) for i in ids],
        )
        roles = ["fan"] if role == "fan" else ["fan", role]
        await conn.executemany(
            "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)",
            [(uuid.UUID(i), r) for i in ids for r in roles],
        )
    finally:
        await conn.close()
    return [Principal(user_id=i, roles=tuple(roles)) for i in ids]


def access_token(settings: Settings, principal: Principal) -> str:
    return issue_access_token(settings.secret_key, principal, 24 * 3600)


async def publish_event(client: httpx.AsyncClient, auth: dict[str, str], **fields: Any) -> str:
    """Create and publish a bench event on sale now (`fields` add to or replace the defaults:
    sections, limits, waiting room); its id."""
    now = utcnow()
    body: dict[str, Any] = {
        "venue": "Bench Arena",
        "starts_at": (now + timedelta(days=3)).isoformat(),
        "timezone": "UTC",
        "onsale_at": (now - timedelta(minutes=1)).isoformat(),
        "offsale_at": (now + timedelta(days=2)).isoformat(),
        "currency": "EUR",
        **fields,
    }
    r = await client.post("/api/v1/events", json=body, headers=auth)
    r.raise_for_status()
    event_id: str = r.json()["event_id"]
    (await client.post(f"/api/v1/events/{event_id}/publish", headers=auth)).raise_for_status()
    return event_id
