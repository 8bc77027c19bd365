"""Real servers for the suite: embedded ones, or those named by ONSALE_TEST_* variables."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from app.core.settings import Settings
from devtools.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]
# uvicorn closes a connection idle for 5 s, and httpx keeps one idle for 5 s by default: a
# request sent on a pooled connection just as the server closes it fails with ReadError.
# Test clients of real API processes drop idle connections well before the server does.
KEEPALIVE_S = 2.0


@contextlib.contextmanager
def api_process(
    settings: Settings,
    *,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """A real `onsale api` process (uvicorn) on `port` or a free one; yields its base URL."""
    port = port or free_port()
    env = {**os.environ, **settings.as_env(), **(extra_env or {})}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "api",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"api process exited with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/health/ready", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("api process not ready within 60 s")
            time.sleep(0.1)
        yield base
    finally:
        stop_process(proc)


@contextlib.contextmanager
def worker_process(
    settings: Settings, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A real `onsale worker` process (arq) with these settings."""
    env = {**os.environ, **settings.as_env(), **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"], env=env, cwd=ROOT, start_new_session=True
    )
    try:
        yield proc
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
