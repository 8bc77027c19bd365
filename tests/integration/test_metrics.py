"""HTTP metrics, request ids, JSON logs, multiprocess counting and the worker's metrics port."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from app.core.settings import Settings
from devtools.embedded import free_port
from tests.support.api import Api
from tests.support.servers import api_process, worker_process

EVENT_ROUTE = "/api/v1/events/{event_id}"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for (sample, sample_labels), v in samples(text).items():
        if sample == name and set(labels.items()) <= set(sample_labels):
            total += v
    return total


async def test_request_id_is_generated_or_echoed(client: AsyncTestClient[Litestar]) -> None:
    r = await client.get("/health/live")
    generated = r.headers["x-request-id"]
    assert len(generated) == 32
    r2 = await client.get("/health/live")
    assert r2.headers["x-request-id"] != generated
    r3 = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert r3.headers["x-request-id"] == "abc-123"
    # An unsafe id (spaces, too long) is replaced, not echoed into logs.
    r4 = await client.get("/health/live", headers={"X-Request-ID": "a b" * 100})
    assert r4.headers["x-request-id"] != "a b" * 100
    assert len(r4.headers["x-request-id"]) == 32


async def test_route_template_label_and_status(client: AsyncTestClient[Litestar], api: Api) -> None:
    before = (await client.get("/metrics")).text
    org = await api.user("organizer")
    event = await api.event(org)
    for _ in range(3):
        r = await client.get(f"/api/v1/events/{event['event_id']}")
        assert r.status_code == 200
    r = await client.get("/api/v1/events/00000000-0000-7000-8000-000000000000")
    assert r.status_code == 404
    # Outside /api the fan app answers deep links; an unknown API path is still a 404.
    r = await client.get("/api/v1/no/such/route")
    assert r.status_code == 404
    after = (await client.get("/metrics")).text

    def delta(**labels: str) -> float:
        name = "onsale_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(route=EVENT_ROUTE, method="GET", status="200") == 3
    assert delta(route=EVENT_ROUTE, method="GET", status="404") == 1
    assert delta(route="unmatched", method="GET", status="404") == 1
    # Raw paths never become labels.
    assert event["event_id"] not in after.split("onsale_inventory_seats")[0]
    count = "onsale_http_request_duration_seconds_count"
    assert value(after, count, route=EVENT_ROUTE) - value(before, count, route=EVENT_ROUTE) == 4


async def test_live_inventory_gauges(client: AsyncTestClient[Litestar], api: Api) -> None:
    org = await api.user("organizer")
    event = await api.event(org)
    text = (await client.get("/metrics")).text
    ev = event["event_id"]
    assert value(text, "onsale_inventory_seats", event=ev, section="FLOOR", state="capacity") == 100
    assert (
        value(text, "onsale_inventory_seats", event=ev, section="FLOOR", state="available") == 100
    )
    assert value(text, "onsale_inventory_seats", event=ev, section="FLOOR", state="sold") == 0
    assert value(text, "onsale_live_events") >= 1
    assert value(text, "onsale_dependency_up", dependency="redis") == 1
    assert value(text, "onsale_dependency_up", dependency="postgres") == 1


async def test_one_json_access_line_per_request(client: AsyncTestClient[Litestar]) -> None:
    from app.core.logs import JsonFormatter

    logger = logging.getLogger("onsale.access")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        r = await client.get("/health/live", headers={"X-Request-ID": "req-42"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert r.status_code == 200
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "req-42"
    assert entry["route"] == "/health/live"
    assert entry["status"] == 200
    assert entry["method"] == "GET"
    assert entry["duration_ms"] >= 0


def test_two_uvicorn_workers_count_exactly(settings: Settings) -> None:
    """Multiprocess mode: N requests spread over two workers add up to exactly N."""
    n = 300
    with api_process(settings, workers=2) as base, httpx.Client(base_url=base, timeout=30) as http:
        route = "/health/live"
        before = value(http.get("/metrics").text, "onsale_http_requests_total", route=route)

        async def storm() -> None:
            # Many short connections: each is accepted by whichever worker is free.
            async with httpx.AsyncClient(
                base_url=base,
                timeout=60,
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=0),
            ) as c:
                rs = await asyncio.gather(*(c.get(route) for _ in range(n)))
            assert all(r.status_code == 200 for r in rs)

        asyncio.run(storm())
        # Each scrape is answered by one of the workers and must see the sum of both.
        totals = [
            value(http.get("/metrics").text, "onsale_http_requests_total", route=route) - before
            for _ in range(8)
        ]
        assert totals == [n] * 8


def test_worker_metrics_port_exports_job_metrics(settings: Settings) -> None:
    port = free_port()
    with worker_process(settings, extra_env={"ONSALE_METRICS_PORT": str(port)}):
        deadline = time.monotonic() + 40
        text = ""
        while time.monotonic() < deadline:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
            except httpx.HTTPError:
                text = ""
            if value(text, "onsale_jobs_total", function="cron:heartbeat", outcome="success"):
                break
            time.sleep(0.3)
        assert value(text, "onsale_jobs_total", function="cron:heartbeat", outcome="success") >= 1
        assert value(text, "onsale_job_duration_seconds_count", function="cron:heartbeat") >= 1
        assert value(text, "onsale_job_queue_lag_seconds_count", function="cron:heartbeat") >= 1
        assert value(text, "onsale_dependency_duration_seconds_count", dependency="redis") > 0
