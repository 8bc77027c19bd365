"""Three API processes behind nginx (deploy/nginx.conf): a fan's stream, holds and checkout work
whichever process answers, also across a process restart; the room snapshot is served from
nginx's cache, so a thousand polling fans reach the API about once a second."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from app.core.settings import Settings
from devtools.nginx import nginx
from tests.support import checkout as h
from tests.support.api import Api, User, bulk_fans
from tests.support.queue import room
from tests.support.servers import KEEPALIVE_S, api_process, worker_process

API_PROCESSES = 3


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


class Stack:
    """API processes on fixed ports (so one can restart in place) and nginx in front."""

    def __init__(self, settings: Settings) -> None:
        from devtools.embedded import free_port

        self.settings = settings
        self.ports = [free_port() for _ in range(API_PROCESSES)]
        self.stack = contextlib.ExitStack()
        self.apis: dict[int, contextlib.ExitStack] = {}
        self.base = ""

    def start_api(self, port: int) -> None:
        one = contextlib.ExitStack()
        one.enter_context(api_process(self.settings, port=port))
        self.apis[port] = one

    def stop_api(self, port: int) -> None:
        self.apis.pop(port).close()

    def __enter__(self) -> Stack:
        for port in self.ports:
            self.start_api(port)
        upstreams = [f"127.0.0.1:{p}" for p in self.ports]
        self.base = self.stack.enter_context(nginx(upstreams)).base
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()
        for port in list(self.apis):
            self.stop_api(port)


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    with Stack(settings) as running:
        yield running


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(
        max_connections=200, max_keepalive_connections=200, keepalive_expiry=KEEPALIVE_S
    )
    async with httpx.AsyncClient(base_url=stack.base, timeout=30, limits=limits) as c:
        yield c


def upstream(response: httpx.Response) -> int:
    """The API process (port) nginx passed this request to (the last one tried)."""
    return int(response.headers["x-upstream"].split(",")[-1].strip().rsplit(":", 1)[1])


async def stream_until_admitted(
    client: httpx.AsyncClient, event_id: str, fan: User, stream_token: str | None = None
) -> Any:
    """Read the fan's server-sent events (through nginx, unbuffered) until admitted.

    With `stream_token`, as a browser's EventSource does: no Authorization header.
    """
    url = f"/api/v1/events/{event_id}/queue/stream"
    headers = fan.headers
    if stream_token is not None:
        url, headers = f"{url}?token={stream_token}", {}
    states = []
    async with client.stream("GET", url, headers=headers, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                body = json.loads(line.removeprefix("data:").strip())
                states.append(body["state"])
                if body["state"] == "admitted":
                    return body, states, upstream(response)
    raise AssertionError(f"stream ended without admission: {states}")


@pytest.mark.slow
async def test_a_fans_journey_works_whichever_process_answers_and_across_a_restart(
    stack: Stack, client: httpx.AsyncClient, settings: Settings, stripe_base: str
) -> None:
    api = Api(client, settings.database_url)
    h.register(stripe_base, stack.base, settings)
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 20}]
    event = await api.event(
        org, sections=sections, waiting_room=room(admit_batch_size=1, admit_interval_s=1)
    )
    ev = event["event_id"]
    fans = await bulk_fans(settings, 3)
    answered: set[int] = set()
    # Security headers (round 2, finding 7): the API's pass through nginx unchanged, and
    # nginx's own answers carry them as well.
    page = await client.get("/console/")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    hidden = await client.get("/metrics")
    assert hidden.status_code == 404
    assert hidden.headers["x-content-type-options"] == "nosniff"
    assert hidden.headers["x-frame-options"] == "DENY"

    with worker_process(settings):
        # Three fans join through nginx (round robin: each call may reach another process).
        stream_tokens = []
        for fan in fans:
            r = await client.post(f"/api/v1/events/{ev}/queue", headers=fan.headers)
            assert r.status_code == 201, r.text
            answered.add(upstream(r))
            stream_tokens.append(r.json()["stream_token"])
        # Each fan's stream stays on one process while the worker admits them in turn; the
        # last one opens it with its stream token (EventSource's way), which any process verifies.
        results = await asyncio.gather(
            stream_until_admitted(client, ev, fans[0]),
            stream_until_admitted(client, ev, fans[1]),
            stream_until_admitted(client, ev, fans[2], stream_tokens[2]),
        )
        for _, states, port in results:
            assert states[-1] == "admitted"
            answered.add(port)
        assert "waiting" in results[-1][1]  # the last fan saw the line move first

        fan, token = fans[0], results[0][0]["admission_token"]
        r = await h.hold_with(client, ev, fan, token, 2)
        assert r.status_code == 201, r.text
        hold_id = r.json()["hold_id"]
        answered.add(upstream(r))

        # The process that took the hold goes away; the fan carries on on the others.
        gone = upstream(r)
        stack.stop_api(gone)
        for _ in range(4):
            read = await client.get(f"/api/v1/holds/{hold_id}", headers=fan.headers)
            assert read.status_code == 200, read.text
            assert upstream(read) != gone
        r = await h.checkout(client, fan, hold_id)
        assert r.status_code == 201, r.text
        assert upstream(r) != gone
        order_id = r.json()["order_id"]

        # It comes back on its port and serves the same fan's order (state is in Redis/Postgres).
        stack.start_api(gone)
        await asyncio.sleep(2.5)  # nginx's fail_timeout: it tries the process again
        deadline = time.monotonic() + 30
        seen_after_restart = False
        order: dict[str, Any] = {}
        while time.monotonic() < deadline and not (
            seen_after_restart and order.get("status") == "confirmed"
        ):
            r = await client.get(f"/api/v1/orders/{order_id}", headers=fan.headers)
            assert r.status_code == 200, r.text
            order = r.json()
            seen_after_restart |= upstream(r) == gone
            await asyncio.sleep(0.1)
        assert seen_after_restart, "the restarted process never answered"
        assert order["status"] == "confirmed", order
        assert len(order["tickets"]) == 2

    assert answered == set(stack.ports), answered
    counts = await h.db_counts(settings.database_url, ev)
    assert (counts["confirmed"], counts["tickets"], counts["over"]) == (1, 2, 0)


def room_hits(ports: list[int]) -> float:
    """Requests the API processes answered on the room route (their own /metrics)."""
    total = 0.0
    pattern = re.compile(r'^onsale_http_requests_total\{[^}]*route="[^"]*/room"[^}]*\} (\S+)$')
    for port in ports:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        for line in text.splitlines():
            found = pattern.match(line)
            if found:
                total += float(found.group(1))
    return total


class Connections:
    """Keep-alive HTTP/1.1 connections to nginx, shared by the polling fans.

    A plain asyncio client: httpx costs about a millisecond of CPU per request,
    too much for the test process to play a thousand fans on a shared machine.
    """

    def __init__(self, base: str, size: int) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port, self.size = host, int(port), size
        self.free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )

    async def open(self) -> None:
        for _ in range(self.size):
            self.free.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        reader, writer = await self.free.get()
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(head[0].split()[1])
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in head[1:] if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            return status, headers, body
        finally:
            self.free.put_nowait((reader, writer))

    async def close(self) -> None:
        while not self.free.empty():
            _, writer = self.free.get_nowait()
            writer.close()


async def test_a_thousand_polling_fans_reach_the_api_about_once_a_second(
    stack: Stack, client: httpx.AsyncClient, settings: Settings
) -> None:
    api = Api(client, settings.database_url)
    org = await api.user("organizer")
    events = [(await api.event(org, waiting_room=room()))["event_id"] for _ in range(2)]
    before = room_hits(stack.ports)
    fans, seconds = 1000, 5.0
    statuses: dict[int, int] = {}
    cache: dict[str, int] = {}
    connections = Connections(stack.base, 64)
    await connections.open()

    async def fan(i: int) -> None:
        ev = events[i % len(events)]
        # Fans poll at their own moments, each once a second (10x a real client's pace).
        await asyncio.sleep((i % 100) / 100)
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            status, headers, body = await connections.get(f"/api/v1/events/{ev}/room")
            statuses[status] = statuses.get(status, 0) + 1
            state = headers.get("x-cache-status", "-")
            cache[state] = cache.get(state, 0) + 1
            assert json.loads(body)["state"] == "open"
            await asyncio.sleep(1.0)

    started = time.monotonic()
    try:
        await asyncio.gather(*(fan(i) for i in range(fans)))
    finally:
        await connections.close()
    elapsed = time.monotonic() - started
    hits = room_hits(stack.ports) - before
    polls = sum(statuses.values())
    assert statuses == {200: polls}, statuses
    assert polls >= fans * 3, polls
    per_event_per_s = hits / len(events) / elapsed
    print(
        f"\n{polls} polls from {fans} fans in {elapsed:.1f} s, {hits:.0f} reached the API "
        f"({per_event_per_s:.2f}/s per event); cache {cache}"
    )
    # max-age=1 with the cache lock: about one refresh per event per second.
    assert per_event_per_s <= 3, (hits, elapsed, cache)
