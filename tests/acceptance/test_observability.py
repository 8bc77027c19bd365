"""Dashboards and alerts against a real Prometheus scraping a real Onsale during a small onsale.

Installs Debian's `prometheus` package when the server is missing, starts it
on a free port (1 s scrapes) over a live API (two uvicorn workers,
multiprocess metrics) and a worker (its metrics port), runs a scripted onsale
over HTTP (event with a waiting room, fans admitted by the worker, holds, a
release, a sold-out attempt, a paid checkout confirmed by the worker through
localstripe's webhook), then asks Prometheus' HTTP API for every panel query
of every dashboard and every alert rule expression: each must parse, each
panel query must return data, and every onsale_* metric named in grafana/ or
the alert rules must exist.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.core.settings import Settings
from devtools import debian
from devtools.embedded import free_port
from tests.support import checkout as h
from tests.support.api import Api, User, bulk_fans
from tests.support.servers import ROOT, api_process, stop_process, worker_process

pytestmark = pytest.mark.timeout(240)

DASHBOARDS = sorted((ROOT / "grafana" / "dashboards").glob("*.json"))
ALERTS = ROOT / "prometheus" / "alerts.yml"
METRIC_NAME = re.compile(r"\bonsale_[a-z0-9_]*[a-z0-9]\b")


def ensure_prometheus() -> str:
    """The Prometheus server binary, installed from Debian's package when missing."""
    return debian.ensure("prometheus", "prometheus")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=300)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus"],
        check=True,
        env=env,
        timeout=600,
    )
    found = shutil.which("prometheus")
    assert found, "apt-get installed prometheus but no `prometheus` binary is on PATH"
    return found


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


def panel_queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(panel title, expr) of every target of every panel, rows included."""
    stack = list(dashboard.get("panels", []))
    while stack:
        panel = stack.pop(0)
        stack.extend(panel.get("panels", []))
        for target in panel.get("targets", []):
            if target.get("expr"):
                yield panel.get("title", "?"), target["expr"]


def alert_rules() -> list[tuple[str, str]]:
    doc = yaml.safe_load(ALERTS.read_text())
    return [
        (rule.get("alert") or rule.get("record"), rule["expr"])
        for group in doc["groups"]
        for rule in group["rules"]
    ]


def substitute(expr: str, variables: dict[str, str]) -> str:
    for name, value in variables.items():
        expr = expr.replace(f"${{{name}}}", value).replace(f"${name}", value)
    assert "$" not in expr.replace("$labels", "").replace("$value", ""), expr
    return expr


def start_prometheus(binary: str, folder: Path, api: str, worker_port: int) -> tuple[Any, str]:
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [
            {"job_name": "onsale-api", "static_configs": [{"targets": [api]}]},
            {
                "job_name": "onsale-worker",
                "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}],
            },
        ],
    }
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = (folder / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1h",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError("prometheus exited:\n" + (folder / "prometheus.log").read_text())
        try:
            if httpx.get(base + "/-/ready", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("prometheus not ready within 30 s")
        time.sleep(0.2)


async def query(prom: httpx.AsyncClient, expr: str) -> dict[str, Any]:
    r = await prom.get("/api/v1/query", params={"query": expr})
    body: dict[str, Any] = r.json()
    return body


async def scripted_onsale(client: httpx.AsyncClient, api: Api, settings: Settings) -> str:
    """An event with a waiting room; fans admitted by the worker; holds, release, sold out, pay."""
    org = await api.user("organizer")
    room = {
        "enabled": True,
        "admit_batch_size": 3,
        "admit_interval_s": 1,
        "max_active_shoppers": 100,
        "session_ttl_s": 900,
        "mode": "fifo",
    }
    sections = [
        {"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 10},
        {"code": "BALCONY", "name": "Balcony", "price_cents": 3000, "capacity": 4},
    ]
    event = await api.event(org, sections=sections, waiting_room=room)
    event_id: str = event["event_id"]
    fans = await bulk_fans(settings, 6)
    for fan in fans:
        r = await client.post(f"/api/v1/events/{event_id}/queue", headers=fan.headers)
        assert r.status_code == 201, r.text

    async def admitted(fan: User) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = await client.get(f"/api/v1/events/{event_id}/queue", headers=fan.headers)
            assert r.status_code == 200, r.text
            if r.json()["state"] == "admitted":
                token: str = r.json()["admission_token"]
                return token
            await asyncio.sleep(0.3)
        raise AssertionError(f"the worker admitted nobody within 30 s: {r.json()}")

    async def hold(fan: User, token: str, section: str, quantity: int) -> httpx.Response:
        return await client.post(
            f"/api/v1/events/{event_id}/holds",
            json={"section": section, "quantity": quantity},
            headers={
                **fan.headers,
                "X-Admission-Token": token,
                "Idempotency-Key": uuid.uuid4().hex,
            },
        )

    holds = []
    # Each fan holds as soon as it is admitted: the room admits no more fans than the seats
    # left can serve, so the later fans get their turn as the earlier ones hold. The last
    # one finds the balcony sold out.
    plan = [("FLOOR", 2)] * 4 + [("BALCONY", 4), ("BALCONY", 1)]
    for n, (fan, (section, quantity)) in enumerate(zip(fans, plan, strict=True)):
        r = await hold(fan, await admitted(fan), section, quantity)
        if n < 5:
            assert r.status_code == 201, r.text
            holds.append(r.json()["hold_id"])
        else:
            assert r.status_code == 409, r.text  # sold out
    r = await client.delete(f"/api/v1/holds/{holds[1]}", headers=fans[1].headers)
    assert r.status_code == 204, r.text
    r = await client.get("/api/v1/no-such-route")
    assert r.status_code == 404
    # One fan pays: checkout, localstripe's webhook, the worker confirms.
    r = await h.checkout(client, fans[0], holds[0], "pm_card_visa")
    assert r.status_code == 201, r.text
    order_id = r.json()["order_id"]
    order = await h.eventually(
        lambda: client.get(f"/api/v1/orders/{order_id}", headers=fans[0].headers),
        lambda resp: resp.json().get("status") != "pending",
        timeout=20,
    )
    assert order.json()["status"] == "confirmed", order.text
    await client.get(f"/api/v1/events/{event_id}/stats", headers=org.headers)
    return event_id


async def test_every_panel_and_alert_query_against_real_prometheus(
    settings: Settings, stripe_base: str, tmp_path: Path
) -> None:
    binary = ensure_prometheus()
    assert DASHBOARDS, "no dashboards in grafana/dashboards"
    worker_port = free_port()
    with (
        api_process(settings, workers=2) as base,
        worker_process(settings, extra_env={"ONSALE_METRICS_PORT": str(worker_port)}),
    ):
        h.register(stripe_base, base, settings)
        proc, prom_base = start_prometheus(binary, tmp_path, base.split("//")[1], worker_port)
        try:
            async with (
                httpx.AsyncClient(base_url=base, timeout=30) as client,
                httpx.AsyncClient(base_url=prom_base, timeout=10) as prom,
            ):
                event_id = await scripted_onsale(
                    client, Api(client, settings.database_url), settings
                )
                await check_queries(prom, {"event": event_id})
        finally:
            stop_process(proc)


async def check_queries(prom: httpx.AsyncClient, variables: dict[str, str]) -> None:
    panels = [
        (f"{path.name}: {title}", substitute(expr, variables))
        for path in DASHBOARDS
        for title, expr in panel_queries(json.loads(path.read_text()))
    ]
    rules = alert_rules()
    assert len(rules) >= 7
    referenced = set()
    for path in [*DASHBOARDS, ALERTS]:
        referenced |= set(METRIC_NAME.findall(path.read_text()))

    # Every query parses (Prometheus answers 400 bad_data otherwise).
    for name, expr in [*panels, *rules]:
        body = await query(prom, expr)
        assert body["status"] == "success", f"{name}: {expr}\n{body}"

    # Every panel returns data and every named metric exists, once scrapes (1 s) caught up.
    deadline = time.monotonic() + 45
    while True:
        empty = [
            (name, expr) for name, expr in panels if not (await query(prom, expr))["data"]["result"]
        ]
        missing = sorted(
            [
                m
                for m in referenced
                if not (await query(prom, f'count({{__name__="{m}"}})'))["data"]["result"]
            ]
        )
        if (not empty and not missing) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    assert not missing, f"metrics named in grafana/ or alerts but not exported: {missing}"
    assert not empty, "panels without data:\n" + "\n".join(f"{n}: {e}" for n, e in empty)

    # The rule files loaded and every rule evaluates without error.
    r = await prom.get("/api/v1/rules")
    loaded = {rule["name"]: rule for group in r.json()["data"]["groups"] for rule in group["rules"]}
    assert set(loaded) == {name for name, _ in rules}
    assert all(rule["health"] != "err" for rule in loaded.values()), loaded
    # Nothing is wrong in this onsale: no drift and both dependencies ready.
    for alert in ("OnsaleInventoryDrift", "OnsaleRedisNotReady", "OnsalePostgresNotReady"):
        assert loaded[alert]["state"] == "inactive", loaded[alert]
