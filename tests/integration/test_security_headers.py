"""Finding 7 of security round 2: security headers on every HTML and API answer.

A strict CSP for the fan app and the console (their import map allowed by its hash, no
other inline script), one for the docs page that lets Swagger UI work, `default-src
'none'` for everything else; no framing anywhere; nosniff; no referrer; HSTS over TLS.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.core.securityheaders import SecurityHeaders
from app.core.settings import Settings

ALWAYS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def directives(r: Any) -> dict[str, list[str]]:
    csp: str = r.headers["content-security-policy"]
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def assert_always(r: Any) -> None:
    for name, value in ALWAYS.items():
        assert r.headers.get(name) == value, (r.url, name, r.headers)
    assert directives(r)["frame-ancestors"] == ["'none'"], r.headers
    assert "strict-transport-security" not in r.headers  # plain HTTP


async def test_the_apps_answer_with_a_strict_policy(client: AsyncTestClient[Litestar]) -> None:
    for path in ("/", "/console/", "/events/some-event", "/console/events"):
        r = await client.get(path)
        assert r.status_code == 200, r.text
        assert_always(r)
        d = directives(r)
        assert d["default-src"] == ["'self'"]
        assert d["script-src"][:2] == ["'self'", "https://js.stripe.com"]
        assert d["style-src"] == ["'self'"]
        assert d["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in r.headers["content-security-policy"]
        assert "'unsafe-eval'" not in r.headers["content-security-policy"]
        # The one inline script of the page, its import map, is allowed by its hash.
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", r.text, re.S)
        assert len(inline) == 1, inline
        digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
        assert f"'sha256-{digest}'" in d["script-src"]
        # No inline handlers or styles in the shells.
        assert not re.search(r"\son[a-z]+=|\sstyle=|<style", r.text), r.text


async def test_a_revalidated_page_keeps_its_policy(client: AsyncTestClient[Litestar]) -> None:
    """A 304's headers replace the cached page's: the API's `default-src 'none'` there
    would switch the cached app off (the console stayed blank on its second visit)."""
    page = await client.get("/console/")
    again = await client.get("/console/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    assert "content-security-policy" not in again.headers
    assert again.headers["x-frame-options"] == "DENY"


async def test_api_answers_errors_and_docs_carry_them_too(
    client: AsyncTestClient[Litestar],
) -> None:
    answers = [
        await client.get("/health/live"),
        await client.get("/api/v1/events/not-an-event"),
        await client.post("/api/v1/no-such-thing", json={}),
        await client.get("/schema/openapi.json"),
    ]
    for r in answers:
        assert_always(r)
        assert directives(r)["default-src"] == ["'none'"], (r.url, r.headers)
    docs = await client.get("/schema")
    assert docs.status_code == 200
    assert_always(docs)
    d = directives(docs)
    assert d["default-src"] == ["'self'"]
    assert "'unsafe-inline'" in d["script-src"]  # Swagger UI's page starts it inline
    assert all(src.startswith("/assets/") for src in re.findall(r'src="([^"]+)"', docs.text))


async def test_hsts_only_over_tls(app: Litestar) -> None:
    async with AsyncTestClient(app=app, base_url="https://onsale.example") as tls:
        r = await tls.get("/")
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")
    async with AsyncTestClient(app=app) as plain:
        # Claimed by the client itself (no trusted proxy in front): not believed.
        r = await plain.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in r.headers


async def test_hsts_from_a_trusted_proxys_forwarded_proto() -> None:
    hook = SecurityHeaders(app_csp="a", docs_csp="d", trusted_proxies="10.0.0.0/8")

    async def answer(peer: str, proto: str) -> dict[bytes, bytes]:
        message: dict[str, Any] = {"type": "http.response.start", "headers": []}
        scope = {
            "type": "http",
            "scheme": "http",
            "path": "/",
            "client": (peer, 5000),
            "headers": [(b"x-forwarded-proto", proto.encode())],
        }
        await hook(message, scope)
        return dict(message["headers"])

    assert b"strict-transport-security" in await answer("10.1.2.3", "https")
    assert b"strict-transport-security" not in await answer("10.1.2.3", "http")
    assert b"strict-transport-security" not in await answer("203.0.113.7", "https")


def test_the_policy_names_the_configured_stripe_origin(settings: Settings) -> None:
    from app.web.csp import app_policy
    from app.web.setup import web_bundle

    local = Settings(stripe_api_base="http://127.0.0.1:8420")
    policy = app_policy(local, web_bundle(local))
    assert "script-src 'self' http://127.0.0.1:8420 " in policy
    assert "connect-src 'self' http://127.0.0.1:8420;" in policy
    real = app_policy(settings, web_bundle(settings))
    assert "frame-src https://js.stripe.com https://hooks.stripe.com;" in real
    assert "connect-src 'self' https://api.stripe.com;" in real
