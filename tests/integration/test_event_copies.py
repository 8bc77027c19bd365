"""Event copies, unpublishing and archiving against real Redis, Postgres and localstripe: a
copy with its sections and phases goes on sale, unpublishing stops at the first sale, an
archived event leaves the lists and sells nothing; a copy of a seated event keeps its seat
map and sells a picked seat."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from app.core.settings import Settings
from tests.support import checkout as h
from tests.support.api import Api, assert_problem, bulk_fans
from tests.support.phases import phase
from tests.support.seat_orders import (
    buy_seats,
    check_seat_invariants,
    hold_seats,
    seat_status,
    seated_event,
)
from tests.support.tickets import buy

SECTIONS = [
    {"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 40},
    {"code": "BALCONY", "name": "Balcony", "price_cents": 3000, "capacity": 20},
]


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _stats(api: Api, event_id: str, headers: dict[str, str]) -> dict[str, Any]:
    r = await api.client.get(f"/api/v1/events/{event_id}/stats", headers=headers)
    assert r.status_code == 200, r.text
    stats: dict[str, Any] = r.json()
    for s in stats["sections"]:
        assert s["available"] + s["held"] + s["sold"] == s["capacity"], s
    return stats


async def test_a_copy_with_its_sections_and_phases_goes_on_sale(
    api: Api, settings: Settings, resources: Any
) -> None:
    owner = await api.user("organizer")
    source = await api.event(owner, sections=SECTIONS, name="Spring Night", max_per_order=4)
    await phase(api, owner, source["event_id"], name="Everyone", audience="everyone")
    await buy(api, settings, resources, source["event_id"], quantity=2)

    r = await api.client.post(
        f"/api/v1/events/{source['event_id']}/duplicate",
        json={"name": "Spring Night 2027", "shift_days": 0},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["event_id"] != source["event_id"]
    assert copy["status"] == "draft"
    assert copy["name"] == "Spring Night 2027"
    assert copy["org_id"] == source["org_id"]
    assert (copy["venue"], copy["max_per_order"], copy["currency"]) == (
        source["venue"],
        4,
        "EUR",
    )
    assert [
        (s["code"], s["price_cents"], s["capacity"], s["available"]) for s in copy["sections"]
    ] == [
        ("FLOOR", 5000, 40, 40),
        ("BALCONY", 3000, 20, 20),
    ]
    assert copy["fairness"]["seed_sha256"] != source["fairness"]["seed_sha256"]
    phases = (
        await api.client.get(f"/api/v1/events/{copy['event_id']}/phases", headers=owner.headers)
    ).json()["items"]
    assert [(p["name"], p["audience"]) for p in phases] == [("Everyone", "everyone")]

    r = await api.client.post(f"/api/v1/events/{copy['event_id']}/publish", headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["on_sale"] is True
    _, order = await buy(api, settings, resources, copy["event_id"], quantity=3)
    assert order["status"] == "confirmed"
    assert order["event_id"] == copy["event_id"]
    copied = await _stats(api, copy["event_id"], owner.headers)
    original = await _stats(api, source["event_id"], owner.headers)
    assert [s["sold"] for s in copied["sections"]] == [3, 0]
    assert [s["sold"] for s in original["sections"]] == [2, 0]


async def test_a_copy_moves_every_date_by_the_days_asked(api: Api) -> None:
    owner = await api.user("organizer")
    source = await api.event(owner, publish=False)
    r = await api.client.post(
        f"/api/v1/events/{source['event_id']}/duplicate",
        json={"shift_days": 364},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["name"] == source["name"]
    for field in ("starts_at", "onsale_at", "offsale_at"):
        assert _at(copy[field]) - _at(source[field]) == timedelta(days=364), field
    assert_problem(
        await api.client.post(
            f"/api/v1/events/{source['event_id']}/duplicate",
            json={"shift_days": 99999},
            headers=owner.headers,
        ),
        400,
        "invalid_request",
    )


async def test_unpublish_only_before_the_first_sale(
    api: Api, settings: Settings, resources: Any
) -> None:
    owner = await api.user("organizer")
    fan = await api.user("fan")
    event = await api.event(owner)
    path = f"/api/v1/events/{event['event_id']}"

    r = await api.client.post(f"{path}/unpublish", headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "draft"
    assert r.json()["on_sale"] is False
    # A draft again: hidden from fans, no holds.
    assert_problem(await api.client.get(path, headers=fan.headers), 404, "not_found")
    public = (await api.client.get("/api/v1/events")).json()["items"]
    assert event["event_id"] not in {e["event_id"] for e in public}
    assert (await api.client.post(f"{path}/publish", headers=owner.headers)).status_code == 200

    await buy(api, settings, resources, event["event_id"], quantity=1)
    assert_problem(
        await api.client.post(f"{path}/unpublish", headers=owner.headers), 409, "event_has_sales"
    )
    assert (await api.client.get(path)).json()["status"] == "published"


async def test_an_archived_event_leaves_the_lists_and_sells_nothing(api: Api) -> None:
    owner = await api.user("organizer")
    event = await api.event(owner)
    path = f"/api/v1/events/{event['event_id']}"
    assert_problem(
        await api.client.post(f"{path}/archive", headers=owner.headers), 409, "event_live"
    )
    assert (await api.client.post(f"{path}/pause", headers=owner.headers)).status_code == 200
    assert_problem(
        await api.client.post(f"{path}/archive", headers=owner.headers), 409, "event_live"
    )
    assert (await api.client.post(f"{path}/unpublish", headers=owner.headers)).status_code == 200

    r = await api.client.post(f"{path}/archive", headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["archived_at"] is not None
    listed = (await api.client.get("/api/v1/events", headers=owner.headers)).json()["items"]
    assert event["event_id"] not in {e["event_id"] for e in listed}
    archived = (
        await api.client.get("/api/v1/events", params={"archived": "true"}, headers=owner.headers)
    ).json()["items"]
    assert [e["event_id"] for e in archived] == [event["event_id"]]
    for action in ("publish", "resume"):
        assert_problem(
            await api.client.post(f"{path}/{action}", headers=owner.headers), 409, "event_archived"
        )
    assert_problem(
        await api.client.patch(path, json={"name": "Again"}, headers=owner.headers),
        409,
        "event_archived",
    )
    # Its copy sells again.
    r = await api.client.post(f"{path}/duplicate", headers=owner.headers)
    assert r.status_code == 201, r.text
    assert r.json()["archived_at"] is None


async def test_a_copy_of_a_seated_event_keeps_its_map_and_sells_a_picked_seat(
    api: Api, settings: Settings, resources: Any
) -> None:
    """The copy's seated section keeps its seats, categories and blocks, none of the source's
    holds or sales: it goes on sale and sells a picked seat, the very one sold on the source."""
    org, ev = await seated_event(api)
    fan, other, third = await bulk_fans(settings, 3)
    await buy_seats(api, resources, ev, fan, ["A-1", "A-2"])
    r = await hold_seats(api, ev, other, ["B-1"])
    assert r.status_code == 201, r.text
    r = await api.client.post(
        f"/api/v1/events/{ev}/sections/FLOOR/seats/block",
        json={"seats": ["C-8"]},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text

    r = await api.client.post(
        f"/api/v1/events/{ev}/duplicate", json={"shift_days": 0}, headers=org.headers
    )
    assert r.status_code == 201, r.text
    copy = r.json()["event_id"]
    floor = r.json()["sections"][0]
    assert (floor["code"], floor["capacity"], floor["available"]) == ("FLOOR", 23, 23)
    exported = await api.client.get(
        f"/api/v1/events/{copy}/sections/FLOOR/seatmap?format=csv", headers=org.headers
    )
    original = await api.client.get(
        f"/api/v1/events/{ev}/sections/FLOOR/seatmap?format=csv", headers=org.headers
    )
    assert exported.status_code == 200, exported.text
    assert exported.text == original.text

    r = await api.client.post(f"/api/v1/events/{copy}/publish", headers=org.headers)
    assert r.status_code == 200, r.text
    status = await seat_status(api, copy)
    assert (status["A-1"], status["B-1"], status["C-8"]) == ("free", "free", "blocked")
    order = await buy_seats(api, resources, copy, third, ["A-1"])
    assert order["status"] == "confirmed"
    assert [t["seat"]["seat_id"] for t in order["tickets"]] == ["A-1"]
    states = await check_seat_invariants(resources, copy)
    assert states["A-1"].startswith("s:")
    assert (await seat_status(api, ev))["A-1"] == "sold"  # the source keeps its own sale
