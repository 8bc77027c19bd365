"""`onsale dev`: the whole system on one machine, embedded servers when none is configured."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msgspec
from rich.console import Console

from app.core.migrate import migrate_url
from app.core.settings import DEV_STACK_KEYS, Settings
from devtools.embedded import (
    EmbeddedPostgres,
    EmbeddedRabbitMQ,
    EmbeddedRedis,
    LocalStripe,
    free_port,
    register_webhook,
)
from devtools.mailsink import MailSink

console = Console(stderr=True)


def state_path(env: dict[str, str]) -> Path:
    """Where the running stack's URLs are written for other commands run from this folder.

    The same place app.core.settings.dev_stack_env reads, whatever --data-dir is.
    """
    return Path(env.get("ONSALE_DEV_STATE") or ".onsale/dev.json")


class DevStack:
    """Starts what is missing, runs API and worker as children, stops all on exit."""

    def __init__(self, host: str, port: int, data_dir: Path, env: dict[str, str]) -> None:
        self.host = host
        self.port = port
        self.data_dir = data_dir.resolve()
        self.env = env
        self.redis: EmbeddedRedis | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.stripe: LocalStripe | None = None
        self.mail: MailSink | None = None
        self.rabbitmq: EmbeddedRabbitMQ | None = None
        self.children: list[subprocess.Popen[bytes]] = []

    def start_servers(self) -> Settings:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        overrides: dict[str, str] = {}
        if not self.env.get("ONSALE_REDIS_URL"):
            console.print("[dim]starting embedded Valkey (AOF on)…[/]")
            self.redis = EmbeddedRedis(self.data_dir / "valkey")
            overrides["ONSALE_REDIS_URL"] = self.redis.start()
        if not self.env.get("ONSALE_DATABASE_URL"):
            console.print("[dim]starting embedded PostgreSQL…[/]")
            self.postgres = EmbeddedPostgres(self.data_dir / "postgres")
            overrides["ONSALE_DATABASE_URL"] = self.postgres.start()
        if not self.env.get("ONSALE_STRIPE_API_KEY"):
            console.print("[dim]starting localstripe (Stripe stand-in)…[/]")
            self.stripe = LocalStripe(log_path=self.data_dir / "localstripe.log")
            overrides["ONSALE_STRIPE_API_BASE"] = self.stripe.start()
        if not self.env.get("ONSALE_SMTP_URL"):
            # Email goes to a local SMTP sink; `onsale dev mail` lists what it received.
            self.mail = MailSink(self.data_dir / "mail")
            overrides["ONSALE_SMTP_URL"] = self.mail.start()
            overrides["ONSALE_DEV_MAIL_DIR"] = str(self.mail.folder)
            console.print(f"[dim]local SMTP sink at {self.mail.url} (see `onsale dev mail`)[/]")
        if not self.env.get("ONSALE_AMQP_URL"):
            overrides.update(self.start_rabbitmq())
        # Links in account emails (password reset, verification) open this dev server.
        overrides.setdefault(
            "ONSALE_PUBLIC_URL",
            self.env.get("ONSALE_PUBLIC_URL", f"http://{self.host}:{self.port}"),
        )
        # Integrators' test receivers usually listen on this machine.
        overrides.setdefault(
            "ONSALE_WEBHOOK_ALLOW_PRIVATE", self.env.get("ONSALE_WEBHOOK_ALLOW_PRIVATE", "true")
        )
        self.env = {**self.env, **overrides}
        return Settings.from_env(self.env)

    def start_rabbitmq(self) -> dict[str, str]:
        """The event stream's broker when Debian's rabbitmq-server is installed; else none."""
        if EmbeddedRabbitMQ.binary() is None:
            console.print(
                "[yellow]no event stream: rabbitmq-server is not installed and "
                "ONSALE_AMQP_URL is not set (the outbox keeps the messages)[/]"
            )
            return {}
        console.print("[dim]starting RabbitMQ (event stream)…[/]")
        self.rabbitmq = EmbeddedRabbitMQ(self.data_dir / "rabbitmq", node="onsaledev")
        try:
            url = self.rabbitmq.start()
        except RuntimeError as exc:
            console.print(f"[yellow]no event stream: {exc}[/]")
            self.rabbitmq = None
            return {}
        console.print(f"[dim]event stream at {url} (see `onsale stream tail`)[/]")
        return {"ONSALE_AMQP_URL": url}

    def spawn(self, *args: str) -> None:
        env = {**os.environ, **self.env}
        child = subprocess.Popen([sys.executable, "-m", "app.cli", *args], env=env)
        self.children.append(child)

    def wait_ready(self, timeout_s: float = 90) -> bool:
        url = f"http://{self.host}:{self.port}/health/ready"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(c.poll() is not None for c in self.children):
                return False
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
        self.children.clear()
        if self.mail is not None:
            self.mail.stop()
        for server in (self.rabbitmq, self.stripe, self.redis, self.postgres):
            if server is not None:
                server.stop()


def write_state(stack: DevStack, host: str, port: int, metrics_port: int) -> None:
    """Other commands run from this folder (demo buy, simulate, reconcile) find the stack here."""
    path = state_path(stack.env)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Server addresses only (DEV_STACK_KEYS): no ONSALE_ENV, secret, password or guard,
    # which the readers would ignore anyway; and readable by this user alone (0600).
    state = {k: v for k, v in stack.env.items() if k in DEV_STACK_KEYS} | {
        "ONSALE_BASE_URL": f"http://{host}:{port}",
        "ONSALE_WORKER_METRICS_URL": f"http://{host}:{metrics_port}/metrics",
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an older, wider file keeps its mode on O_CREAT
        handle.write(msgspec.json.encode(state))


def run_dev(host: str, port: int, data_dir: Path, demo: bool) -> int:
    # ONSALE_ENV=dev: the built-in development secrets are fine on this machine,
    # and loopback proxies (a local load test) may name clients in X-Forwarded-For.
    stack = DevStack(host, port, data_dir, {**os.environ, "ONSALE_ENV": "dev"})
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        settings = stack.start_servers()
        applied = asyncio.run(migrate_url(settings.database_url))
        console.print(f"[dim]migrations applied: {', '.join(applied) or 'none pending'}[/]")
        if stack.stripe is not None:
            register_webhook(
                settings.stripe_api_base,
                f"http://{host}:{port}/api/v1/webhooks/stripe",
                settings.stripe_webhook_secret,
            )
        metrics_port = free_port()
        write_state(stack, host, port, metrics_port)
        stack.spawn("api", "--host", host, "--port", str(port))
        stack.spawn("worker", "--metrics-host", host, "--metrics-port", str(metrics_port))
        if not stack.wait_ready():
            console.print("[red]Onsale did not become ready; see the output above[/]")
            return 1
        if demo:
            from devtools.demo import create_demo

            info = asyncio.run(create_demo(settings, f"http://{host}:{port}"))
            console.print(msgspec.json.format(msgspec.json.encode(info)).decode())
        console.print(f"[dim]worker metrics at http://{host}:{metrics_port}/metrics[/]")
        print(f"Onsale is up at http://{host}:{port}", flush=True)
        while not stopping:
            if any(c.poll() is not None for c in stack.children):
                console.print("[red]a child process exited; stopping[/]")
                return 1
            time.sleep(0.3)
        return 0
    finally:
        console.print("[dim]stopping…[/]")
        state_path(stack.env).unlink(missing_ok=True)
        stack.stop()
