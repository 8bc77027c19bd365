"""The web apps as the API process serves them: shells, fingerprinted assets, deep links, the docs
page without a CDN, the EventSource stream token and the public room snapshot."""

from __future__ import annotations

import gzip
import json
import re
import time
from typing import Any

import brotli
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.core.settings import Settings
from app.queue import streamtoken
from tests.support.api import Api, bulk_fans
from tests.support.queue import Admitter, room

IMMUTABLE = "public, max-age=31536000, immutable"


def assets_of(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/assets/[^"]+)"', html)


async def test_fan_shell_deep_links_and_console(client: AsyncTestClient[Litestar]) -> None:
    home = await client.get("/", headers={"Accept-Encoding": "identity"})
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert home.headers["cache-control"] == "no-cache"
    assert '<script type="importmap">' in home.text
    assert "{{" not in home.text
    assert "<!--importmap-->" not in home.text
    # Deep links of the fan app get the same shell: the app routes on the path.
    for path in ("/events/0190a1b2-0000-7000-8000-000000000000/queue", "/orders", "/signin"):
        page = await client.get(path, headers={"Accept-Encoding": "identity"})
        assert page.status_code == 200
        assert page.text == home.text
    # Not-modified by ETag: a phone that already has the shell downloads nothing.
    again = await client.get("/", headers={"If-None-Match": home.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    console = await client.get("/console/events/1")
    assert console.status_code in (200, 404)  # 404 only while the console is not there
    if console.status_code == 200:
        assert console.text != home.text


async def test_scanner_shell_and_the_service_workers(client: AsyncTestClient[Litestar]) -> None:
    home = await client.get("/", headers={"Accept-Encoding": "identity"})
    scan = await client.get("/scan/", headers={"Accept-Encoding": "identity"})
    assert scan.status_code == 200
    assert scan.text != home.text
    imports = json.loads(re.search(r'<script type="importmap">(.*?)</script>', scan.text)[1])
    assert "/assets/scan/views/scan.js" in imports["imports"]
    assert "/assets/shared/codes.js" in imports["imports"]
    assert "/assets/scan/vendor/jsqr/jsQR.js" in imports["imports"]
    assert not any(k.startswith(("/assets/fan/", "/assets/console/")) for k in imports["imports"])
    for path in ("/scan/signin", "/scan/events/0190a1b2-0000-7000-8000-000000000000/scan"):
        page = await client.get(path, headers={"Accept-Encoding": "identity"})
        assert page.text == scan.text
    # The workers answer at their app's mount point (their scope), as scripts, never as a
    # shell, re-checked on every visit, and may fetch this origin only.
    for path in ("/sw.js", "/scan/sw.js"):
        worker = await client.get(path, headers={"Accept-Encoding": "identity"})
        assert worker.status_code == 200, path
        assert worker.headers["content-type"].startswith("application/javascript")
        assert worker.headers["cache-control"] == "no-cache"
        assert "connect-src 'self'" in worker.headers["content-security-policy"]
        assert "self.registration.scope" in worker.text
    assert (await client.get("/console/sw.js")).headers["content-type"].startswith("text/html")


async def test_assets_are_fingerprinted_immutable_and_compressed(
    client: AsyncTestClient[Litestar],
) -> None:
    home = await client.get("/")
    urls = assets_of(home.text)
    assert any(u.endswith(".css") for u in urls)
    assert any(u.endswith(".js") for u in urls)
    imports = json.loads(re.search(r'<script type="importmap">(.*?)</script>', home.text)[1])
    assert "/assets/shared/api.js" in imports["imports"]
    assert not any(k.startswith("/assets/console/") for k in imports["imports"])
    for url in [*urls, *imports["imports"].values()]:
        r = await client.get(url, headers={"Accept-Encoding": "br, gzip"})
        assert r.status_code == 200, url
        assert r.headers["cache-control"] == IMMUTABLE
        assert r.headers["vary"] == "Accept-Encoding"
    js = imports["imports"]["/assets/fan/app.js"]
    plain = await client.get(js, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["content-type"].startswith("application/javascript")
    raw = await client.get(js, headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    # httpx decodes gzip for us; what matters is the body is the same file.
    assert raw.content == plain.content
    br = await client.get(js, headers={"Accept-Encoding": "br"})
    assert br.headers["content-encoding"] == "br"
    assert br.content == plain.content or brotli.decompress(br.content) == plain.content
    # The plain path still answers (revalidated), so nothing breaks outside the import map.
    unversioned = await client.get("/assets/fan/app.js")
    assert unversioned.status_code == 200
    assert unversioned.headers["cache-control"] == "no-cache"
    assert gzip.compress(b"x")  # gzip is always available


async def test_unknown_api_paths_stay_problem_json(client: AsyncTestClient[Litestar]) -> None:
    for path in ("/api/v1/nothing-here", "/assets/fan/missing.js", "/health/nope"):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/problem+json"), path
        assert r.json()["code"] == "not_found"


async def test_api_docs_load_nothing_from_another_host(client: AsyncTestClient[Litestar]) -> None:
    for path in ("/schema", "/schema/swagger"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert "swagger-ui" in page.text
        hosts = re.findall(r"""(?:src|href)=["'](https?:)?//""", page.text)
        assert hosts == [], f"{path} loads from another host"
        for url in assets_of(page.text):
            r = await client.get(url)
            assert r.status_code == 200, url
    schema = await client.get("/schema/openapi.json")
    paths = schema.json()["paths"]
    assert "/api/v1/events/{event_id}/room" in paths
    assert not any(p.startswith("/assets") or p == "/{path}" for p in paths)


async def test_stream_opens_with_a_stream_token_only(
    api: Api, client: AsyncTestClient[Litestar], settings: Settings
) -> None:
    org = await api.user("organizer")
    # No waiting room: joining admits at once, so the stream sends one status and ends
    # (the in-process test client cannot leave an endless response half read).
    event = await api.event(org)
    ev = event["event_id"]
    fan, other = await bulk_fans(settings, 2)
    joined = (await client.post(f"/api/v1/events/{ev}/queue", headers=fan.headers)).json()
    token = joined["stream_token"]
    assert token.startswith("s2.")
    status = (await client.get(f"/api/v1/events/{ev}/queue", headers=fan.headers)).json()
    assert status["stream_token"].startswith("s2.")

    r = await client.get(f"/api/v1/events/{ev}/queue/stream?token={token}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    data = [line for line in r.text.splitlines() if line.startswith("data:")]
    first = json.loads(data[0].removeprefix("data:"))
    assert first["state"] == joined["state"]
    assert first["position"] == joined["position"]

    # No credentials, a forged or another event's token: 401, never someone's place.
    other_event = await api.event(org, waiting_room=room())
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    sid = streamtoken.grant_of(settings.secret_key, token, ev).session_id  # type: ignore[union-attr]
    elsewhere = streamtoken.issue(settings.secret_key, other_event["event_id"], fan.user_id, sid)
    expired = streamtoken.issue(
        settings.secret_key, ev, fan.user_id, sid, now_ms=int(time.time() * 1000) - 10**7
    )
    for bad in ("", f"?token={forged}", f"?token={elsewhere}", f"?token={expired}", "?token=x"):
        r = await client.get(f"/api/v1/events/{ev}/queue/stream{bad}")
        assert r.status_code == 401, bad
        assert r.json()["code"] == "unauthorized"
    assert other.user_id != fan.user_id


def test_stream_token_is_bound_to_event_account_session_and_time() -> None:
    secret = "s" * 40
    token = streamtoken.issue(secret, "ev1", "u1", "sid1", now_ms=1_000)
    grant = streamtoken.grant_of(secret, token, "ev1", now_ms=2_000)
    assert grant is not None
    assert (grant.user_id, grant.session_id) == ("u1", "sid1")
    assert streamtoken.grant_of(secret, token, "ev2", now_ms=2_000) is None
    assert streamtoken.grant_of("t" * 40, token, "ev1", now_ms=2_000) is None
    late = 1_000 + streamtoken.TTL_S * 1000
    assert streamtoken.grant_of(secret, token, "ev1", now_ms=late) is None


async def test_room_snapshot_is_public_and_cacheable(
    api: Api, client: AsyncTestClient[Litestar], settings: Settings
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room(admit_batch_size=2))
    ev = event["event_id"]
    r = await client.get(f"/api/v1/events/{ev}/room")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "public, max-age=1"
    body: dict[str, Any] = r.json()
    assert body["state"] == "open"
    assert body["admitted_through"] == 0
    assert set(body) == {"state", "admitted_through", "admit_rate_per_min", "updated_at"}

    fans = await bulk_fans(settings, 3)
    for fan in fans:
        await client.post(f"/api/v1/events/{ev}/queue", headers=fan.headers)
    admitter = Admitter(settings)
    try:
        await admitter.tick(ev)
    finally:
        await admitter.close()
    assert (await client.get(f"/api/v1/events/{ev}/room")).json()["admitted_through"] == 2

    await client.post(f"/api/v1/events/{ev}/pause", headers=org.headers)
    assert (await client.get(f"/api/v1/events/{ev}/room")).json()["state"] == "paused"
    await client.post(f"/api/v1/events/{ev}/resume", headers=org.headers)
    await client.post(
        f"/api/v1/events/{ev}/sections/FLOOR/capacity", json={"delta": -100}, headers=org.headers
    )
    assert (await client.get(f"/api/v1/events/{ev}/room")).json()["state"] == "closed"

    for missing in ("not-an-id", "0190a1b2-0000-7000-8000-000000000000"):
        r = await client.get(f"/api/v1/events/{missing}/room")
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"
