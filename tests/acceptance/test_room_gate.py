"""The standalone room in front of any shop, for real: deploy/nginx-room.conf in a real
nginx, an `onsale api` and an `onsale worker` process, and a shop (a tiny HTTP server whose
latency the test turns up and down). While the shop is fast everyone goes straight through;
once it is slow, fans are sent to the room within 5 s and wait in order; once it recovers,
the room lets them in with a pass to the page they asked for, then everyone straight
through again."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import msgspec
import pytest

from app.core.settings import Settings
from devtools.nginx import room_nginx
from tests.support.pace import load_factor
from tests.support.servers import KEEPALIVE_S, api_process, worker_process

pytestmark = pytest.mark.timeout(240)

# Within this long of the shop turning slow, a new fan is sent to the room.
QUEUE_WITHIN_S = 5.0


class Shop:
    """A shop whose every answer takes `delay_s` (the test turns it up and down)."""

    def __init__(self) -> None:
        self.delay_s = 0.0
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(shop.delay_s)
                body = f"shop page {self.path}".encode()
                # The gate's probe hangs up on a slow answer: that is its measurement.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    @contextlib.contextmanager
    def running(self) -> Iterator[Shop]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def fan(base: str) -> httpx.AsyncClient:
    """A fan's browser: its own cookies, redirects seen (not followed)."""
    return httpx.AsyncClient(
        base_url=base,
        timeout=30,
        follow_redirects=False,
        limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S),
    )


async def until(check: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_the_room_queues_fans_while_the_shop_is_slow_and_drains_when_it_recovers(
    settings: Settings,
) -> None:
    shop = Shop()
    with shop.running():
        settings = msgspec.structs.replace(
            settings,
            gate_origin_url=f"http://{shop.address}/health",
            gate_latency_ms=400,
            gate_window=3,
            gate_recover_samples=3,
            gate_admit_per_s=0.0,  # nobody in while the shop struggles: the order is visible
            gate_drain_per_s=1.0,
            gate_pass_ttl_s=600,
        )
        api = api_process(settings)
        with api as api_base, worker_process(settings):
            api_host = api_base.removeprefix("http://")
            with room_nginx([api_host], [shop.address]) as proxy:
                await walk(proxy.base, shop)


async def walk(base: str, shop: Shop) -> None:
    async with fan(base) as first:
        # Healthy: straight through to the shop, no room, no cookie needed.
        r = await first.get("/tickets?id=1")
        assert (r.status_code, r.text) == (200, "shop page /tickets?id=1")

    # The shop slows down: within 5 s a new fan is sent to the room.
    shop.delay_s = 0.6
    slow_at = time.monotonic()

    async def sent_to_room() -> httpx.Response | None:
        async with fan(base) as probe:
            r = await probe.get("/tickets?id=2&seat=a")
        return r if r.status_code == 302 else None

    # On a machine shared with other tests the bound scales with the load (tests/support/pace.py).
    bound = QUEUE_WITHIN_S * load_factor()
    redirect = await until(sent_to_room, bound + 5, "a fan sent to the room")
    queued_after = time.monotonic() - slow_at
    print(f"sent to the room {queued_after:.1f} s after the shop slowed (bound {bound:.1f} s)")
    assert queued_after < bound, f"queued {queued_after:.1f} s after the shop slowed"
    assert redirect.headers["location"] == "/room/?next=/tickets?id=2&seat=a"
    assert redirect.headers["cache-control"] == "no-store"

    fans = [fan(base) for _ in range(3)]
    try:
        places = []
        for client in fans:
            r = await client.get("/tickets?id=2&seat=a")
            assert r.status_code == 302
            page = await client.get(r.headers["location"])
            assert page.status_code == 200
            assert page.headers["content-type"].startswith("text/html")
            assert "/assets/room/" in page.text
            r = await client.post("/api/v1/room/join")
            assert r.status_code == 200, r.text
            body = r.json()
            assert (body["state"], body["through"]) == ("queueing", False)
            assert body["eta_s"] is None  # the inlet is shut while the shop struggles
            places.append(body["position"])
            # Joining again (a reload) keeps the place.
            again = (await client.post("/api/v1/room/join")).json()
            assert again["position"] == body["position"]
        assert places == sorted(places)
        assert len(set(places)) == 3
        # Still slow: nobody gets through; the shop is not reached without a pass.
        await asyncio.sleep(2)
        for client in fans:
            status = (await client.get("/api/v1/room/status")).json()
            assert status["through"] is False
            assert (await client.get("/tickets")).status_code == 302

        # The shop recovers: the room drains, one fan a second, in the order they came.
        shop.delay_s = 0.0
        recovered_at = time.monotonic()
        order: list[int] = []

        async def all_through() -> bool:
            for index, client in enumerate(fans):
                if index in order:
                    continue
                r = await client.get("/api/v1/room/status")
                assert r.status_code == 200, r.text
                if r.json()["through"]:
                    assert client.cookies.get("onsale_room_pass")
                    order.append(index)
            return len(order) == len(fans)

        await until(all_through, 30, "every waiting fan let through")
        print(f"line of 3 let through {time.monotonic() - recovered_at:.1f} s after recovery")
        assert order == [0, 1, 2]
        for client in fans:
            r = await client.get("/tickets?id=2&seat=a")
            assert (r.status_code, r.text) == (200, "shop page /tickets?id=2&seat=a")
    finally:
        for client in fans:
            await client.aclose()

    # Drained: a new fan goes straight through again, without a room or a pass.
    async def straight_through() -> bool:
        async with fan(base) as newcomer:
            r = await newcomer.get("/tickets?id=3")
        return r.status_code == 200 and r.text == "shop page /tickets?id=3"

    await until(straight_through, 15, "a new fan straight through after the drain")
