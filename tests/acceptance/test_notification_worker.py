"""Notifications sent by real `onsale worker` processes: one killed with SIGKILL in the
middle of an SMTP send (neither a duplicate nor a loss), and an SMTP server that is down
(retries, dead letter, and the alert rule true in a real Prometheus scraping the worker)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from aiosmtpd.smtp import Envelope

from app.core.settings import Settings
from devtools.embedded import free_port
from devtools.mailsink import MailSink
from tests.acceptance.test_observability import alert_rules, ensure_prometheus, start_prometheus
from tests.support import checkout as h
from tests.support.api import Api, User
from tests.support.servers import ROOT, stop_process

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


@contextlib.contextmanager
def worker(settings: Settings, metrics_port: int = 0) -> Iterator[subprocess.Popen[bytes]]:
    """A real `onsale worker` process (its own process group, so SIGKILL takes it whole)."""
    env = {**os.environ, **settings.as_env()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--metrics-port", str(metrics_port)],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        stop_process(proc)


async def buy(api: Api, resources: Any, fan: User) -> str:
    from app.orders import finalize

    org = await api.user("organizer")
    event = await api.event(org, name="Kill Night")
    r = await h.hold(api.client, event["event_id"], fan, 2)
    assert r.status_code == 201, r.text
    r = await h.checkout(api.client, fan, r.json()["hold_id"])
    assert r.status_code == 201, r.text
    assert await finalize.finalize_payment(resources, r.json()["payment_intent_id"]) == "confirmed"
    order_id: str = r.json()["order_id"]
    return order_id


async def confirmation_delivery(database_url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT d.* FROM deliveries d JOIN outbox o USING (message_id) "
            "WHERE o.kind = 'order_confirmed'"
        )
    finally:
        await conn.close()
    assert len(rows) <= 1
    return dict(rows[0]) if rows else {}


async def until(probe: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_worker_killed_mid_send_neither_duplicates_nor_loses_the_email(
    api: Api, settings: Settings, resources: Any, tmp_path: Path
) -> None:
    in_data = threading.Event()
    attempts: list[str] = []

    async def gate(envelope: Envelope) -> None:
        # The first message's DATA has arrived; the server holds its answer until the
        # client is gone (aiosmtpd cancels this handler when the connection drops).
        attempts.append(envelope.mail_from or "")
        if len(attempts) == 1:
            in_data.set()
            await asyncio.sleep(120)

    sink = MailSink(tmp_path / "mail", gate=gate)
    sink.start()
    try:
        settings = msgspec.structs.replace(
            settings, smtp_url=sink.url, notify_lease_s=3.0, notify_send_timeout_s=60.0
        )
        fan = await api.user("fan")
        await buy(api, resources, fan)

        with worker(settings) as first:
            await until(lambda: asyncio.sleep(0, in_data.is_set()), 60, "the first send")
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        row = await confirmation_delivery(settings.database_url)
        assert (row["status"], row["attempts"]) == ("sending", 1)
        await asyncio.sleep(0.5)
        assert sink.messages() == []  # the killed send was never accepted

        started = time.monotonic()
        with worker(settings):
            await until(lambda: asyncio.sleep(0, sink.messages()), 60, "the resent email")
            resent_after = time.monotonic() - started
            # Long enough for any second claim (lease 3 s) and several ticks.
            await asyncio.sleep(6)
        mail = sink.messages()
        assert len(mail) == 1
        row = await confirmation_delivery(settings.database_url)
        assert (row["status"], row["attempts"]) == ("sent", 2)
        assert mail[0].message_id == f"<delivery-{row['delivery_id']}@onsale.local>"
        assert mail[0].message["To"] == fan.email
        assert len(attempts) == 2
        print(f"resent {resent_after:.1f} s after the second worker started")
    finally:
        sink.stop()


async def test_smtp_down_dead_letters_and_the_alert_expression_is_true(
    api: Api, settings: Settings, resources: Any, tmp_path: Path
) -> None:
    binary = ensure_prometheus()
    closed_port = free_port()  # nothing listens here: the SMTP server is down
    settings = msgspec.structs.replace(
        settings,
        smtp_url=f"smtp://127.0.0.1:{closed_port}",
        notify_backoff_s=0.5,
        notify_max_attempts=3,
    )
    (rule_name, expr) = next(r for r in alert_rules() if r[0] == "OnsaleNotificationsDeadLettered")
    metrics_port = free_port()
    fan = await api.user("fan")
    with worker(settings, metrics_port):
        prom_proc, prom_base = start_prometheus(binary, tmp_path, "127.0.0.1:1", metrics_port)
        try:
            async with httpx.AsyncClient(base_url=prom_base, timeout=10) as prom:
                # Before: the gauge is scraped and the expression is false.
                async def scraped() -> bool:
                    r = await prom.get(
                        "/api/v1/query", params={"query": "onsale_notification_dead_letters"}
                    )
                    return bool(r.json()["data"]["result"])

                await until(scraped, 60, "the first scrape of the dead-letter gauge")
                r = await prom.get("/api/v1/query", params={"query": expr})
                assert r.json()["data"]["result"] == []

                await buy(api, resources, fan)

                async def dead() -> dict[str, Any] | None:
                    row = await confirmation_delivery(settings.database_url)
                    return row if row.get("status") == "dead" else None

                row = await until(dead, 60, "the dead letter")
                assert row["attempts"] == 3
                assert "Connect" in row["last_error"] or "refused" in row["last_error"]

                async def firing() -> list[Any]:
                    r = await prom.get("/api/v1/query", params={"query": expr})
                    result: list[Any] = r.json()["data"]["result"]
                    return result

                result = await until(firing, 30, "the alert expression to be true")
                assert result[0]["metric"]["channel"] == "email"
                assert float(result[0]["value"][1]) == 1

                async def alert_active() -> list[Any]:
                    r = await prom.get("/api/v1/alerts")
                    return [
                        a
                        for a in r.json()["data"]["alerts"]
                        if a["labels"]["alertname"] == rule_name
                    ]

                alerts = await until(alert_active, 30, f"{rule_name} to fire")
                assert alerts[0]["state"] == "firing"

                # Retries were counted before the dead letter.
                metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
                assert 'onsale_notifications_total{channel="email",outcome="retry"} 2.0' in metrics
                assert 'onsale_notifications_total{channel="email",outcome="dead"} 1.0' in metrics
        finally:
            stop_process(prom_proc)
