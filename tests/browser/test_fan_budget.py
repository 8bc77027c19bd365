"""The waiting room's first load: at most 100 KB transferred (compressed), nothing from another
host, and the static parts cacheable for a year (fingerprinted) or revalidated (the shell)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Request, expect

from tests.browser.conftest import ARTIFACTS, Phone, Stack

pytestmark = pytest.mark.timeout(180)

BUDGET_BYTES = 100 * 1024


async def test_waiting_room_first_load_fits_the_budget(stack: Stack, phone: Any) -> None:
    org = await stack.api.user("organizer")
    event = await stack.api.event(
        org,
        waiting_room={
            "enabled": True,
            "admit_batch_size": 1,
            "admit_interval_s": 1,
            "max_active_shoppers": 1,
            "session_ttl_s": 600,
            "mode": "fifo",
        },
    )
    first = await stack.api.user("fan")
    r = await stack.client.post(f"/api/v1/events/{event['event_id']}/queue", headers=first.headers)
    assert r.status_code == 201, r.text
    me = await stack.api.user("fan")
    ph: Phone = await phone("en-US")
    # Signed in already (a fan arrives from a link in the organizer's mail): the session is
    # in localStorage, so this is the waiting room's own first load with an empty cache.
    session = {"access_token": me.token, "refresh_token": None, "expires_at": 4102444800000}
    await ph.context.add_init_script(
        f"localStorage.setItem('onsale.session.fan', {json.dumps(json.dumps(session))})"
    )
    requests: list[Request] = []
    ph.page.on("requestfinished", lambda req: requests.append(req))
    await ph.page.goto(f"{stack.base}/events/{event['event_id']}/queue")
    await expect(ph.page.locator("#room")).to_have_attribute("data-state", "waiting")
    await expect(ph.page.locator("#transport")).to_have_attribute("data-transport", "sse")
    await ph.page.wait_for_load_state("networkidle")

    base = urlsplit(stack.base).netloc
    rows = []
    for req in requests:
        sizes = await req.sizes()
        response = await req.response()
        assert response is not None
        rows.append(
            {
                "url": req.url.replace(stack.base, ""),
                "bytes": sizes["responseBodySize"] + sizes["responseHeadersSize"],
                "encoding": await response.header_value("content-encoding"),
                "cache": await response.header_value("cache-control"),
            }
        )
    total = sum(row["bytes"] for row in rows)
    report = {"total_bytes": total, "budget_bytes": BUDGET_BYTES, "requests": rows}
    (ARTIFACTS / "waiting-room-budget.json").write_text(json.dumps(report, indent=1))
    print(f"waiting room first load: {total} bytes in {len(rows)} requests")

    assert all(urlsplit(req.url).netloc == base for req in requests), "a request left the host"
    assert total <= BUDGET_BYTES, report
    for row in rows:
        if row["url"].startswith("/assets/"):
            assert row["cache"] == "public, max-age=31536000, immutable", row
            if not row["url"].endswith(".json") or row["bytes"] > 1024:
                assert row["encoding"] in ("br", "gzip"), row
    shell = next(row for row in rows if row["url"].endswith("/queue") and "/api/" not in row["url"])
    assert shell["cache"] == "no-cache"
