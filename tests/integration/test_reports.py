"""An event's reports against real Postgres, Redis and localstripe: a small sale's totals equal
what Stripe captured minus what it refunded; the funnel counts each step's fans; occupancy
follows the record; CSV and JSON; only the event's organizer or an admin reads them."""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec
import pytest

from app.core.settings import Settings
from app.orders import finalize, refunds
from tests.support import checkout as h
from tests.support.api import Api, User, assert_problem


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


async def buy(api: Api, resources: Any, event_id: str, fan: User, quantity: int) -> tuple[str, str]:
    r = await h.hold(api.client, event_id, fan, quantity)
    assert r.status_code == 201, r.text
    r = await h.checkout(api.client, fan, r.json()["hold_id"])
    assert r.status_code == 201, r.text
    pi: str = r.json()["payment_intent_id"]
    assert await finalize.finalize_payment(resources, pi) == "confirmed"
    return r.json()["order_id"], pi


def stripe_net(stripe_base: str, intents: list[str]) -> int:
    """Captured minus refunded, as Stripe itself reports them."""
    total = 0
    for pi in intents:
        charge = h.intent(stripe_base, pi).get("latest_charge")
        if isinstance(charge, dict):
            charge = charge.get("id")
        found = h.stripe_get(stripe_base, f"/v1/charges/{charge}")
        if found.get("captured") and found.get("status") == "succeeded":
            total += int(found.get("amount_captured") or found["amount"])
        for refund in h.stripe_get(stripe_base, "/v1/refunds", payment_intent=pi)["data"]:
            if refund["status"] == "succeeded":
                total -= int(refund["amount"])
    return total


async def test_a_small_sales_report_equals_stripes_captures_minus_refunds(
    api: Api, resources: Any, stripe_base: str
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, name="Reports")
    event_id = event["event_id"]
    fans = [await api.user("fan") for _ in range(4)]
    bought = [
        await buy(api, resources, event_id, fan, q) for fan, q in zip(fans, [1, 2, 3], strict=False)
    ]
    # The fourth fan holds and leaves: held, never paid.
    r = await h.hold(api.client, event_id, fans[3], 1)
    assert r.status_code == 201, r.text
    refunded_order = bought[1][0]
    r = await api.client.post(
        f"/api/v1/orders/{refunded_order}/refund", json={}, headers=org.headers
    )
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, refunded_order) == "refunded"

    r = await api.client.get(f"/api/v1/events/{event_id}/reports/sales", headers=org.headers)
    assert r.status_code == 200, r.text
    report = r.json()
    totals = report["totals"]
    expected = stripe_net(stripe_base, [pi for _, pi in bought])
    assert totals["net_cents"] == expected
    assert totals["gross_cents"] - totals["refunded_cents"] == expected
    assert totals["reconciled"] is True
    assert totals["difference_cents"] == 0
    assert totals["captured_cents"] - totals["stripe_refunded_cents"] == expected
    assert (totals["tickets"], totals["refunded_tickets"]) == (6, 2)
    assert {b["width"] for b in report["buckets"]} == {"minute"}  # within the onsale's first day
    assert sum(b["net_cents"] for b in report["buckets"]) == expected

    r = await api.client.get(f"/api/v1/events/{event_id}/reports/funnel", headers=org.headers)
    assert r.status_code == 200, r.text
    steps = {s["step"]: s for s in r.json()["steps"]}
    assert [s["step"] for s in r.json()["steps"]] == [
        "joined",
        "admitted",
        "held",
        "checkout",
        "paid",
        "checked_in",
    ]
    assert steps["held"]["fans"] >= 3  # the ledger is written a second behind for live holds
    assert steps["checkout"]["fans"] == 3
    assert steps["paid"]["fans"] == 3
    assert steps["checked_in"]["fans"] == 0
    assert steps["checked_in"]["drop_off"] == 1.0
    assert steps["joined"]["drop_off"] is None

    r = await api.client.get(f"/api/v1/events/{event_id}/reports/occupancy", headers=org.headers)
    sections = r.json()["sections"]
    assert sum(s["sold"] for s in sections) == 4  # 6 sold, 2 returned by the refund
    assert all(s["sold"] <= s["capacity"] for s in sections)

    r = await api.client.get(
        f"/api/v1/events/{event_id}/reports/sales", params={"format": "csv"}, headers=org.headers
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sum(int(row["net_cents"]) for row in rows) == expected


async def test_reports_are_the_organizers_and_admins_only(api: Api) -> None:
    org = await api.user("organizer")
    other = await api.user("organizer")
    fan = await api.user("fan")
    admin = await api.user("admin")
    event = await api.event(org)
    for kind in ("funnel", "sales", "occupancy"):
        path = f"/api/v1/events/{event['event_id']}/reports/{kind}"
        assert_problem(await api.client.get(path, headers=other.headers), 404, "not_found")
        assert_problem(await api.client.get(path, headers=fan.headers), 403, "forbidden")
        assert (await api.client.get(path)).status_code == 401
        r = await api.client.get(path, params={"format": "csv"}, headers=admin.headers)
        assert r.status_code == 200, r.text
        r = await api.client.get(path, params={"format": "xml"}, headers=org.headers)
        assert r.status_code == 400
    body = msgspec.json.decode(
        (
            await api.client.get(
                f"/api/v1/events/{event['event_id']}/reports/funnel", headers=org.headers
            )
        ).content
    )
    assert all(s["fans"] == 0 for s in body["steps"])
