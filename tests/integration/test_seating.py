"""Reserved seating over HTTP (in-process app, real Redis and Postgres): seat maps in and
out, the public seats view, picked and best-available holds, blocks, and a storm of fans
fighting over the same pairs."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from app.core.scripts import Scripts
from app.core.settings import Settings
from app.holds.scripts import hold_scripts
from tests.support.api import Api, User, assert_problem
from tests.support.holds import admit, create_fans
from tests.support.redis_clients import connect
from tests.support.seats import check_pretix_shape, pretix_plan


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = connect(settings.redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def organizer(api: Api) -> User:
    return await api.user("organizer")


def csv_map(rows: int, per_row: int, section: str = "FLOOR") -> str:
    lines = ["section,row,seat,category,x,y,accessible"]
    for r in range(rows):
        for n in range(1, per_row + 1):
            cat = "front" if r < rows // 2 else "back"
            acc = "true" if (r == 0 and n in (1, 2)) else "false"
            lines.append(f"{section},{chr(65 + r)},{n},{cat},{n * 20},{(r + 1) * 20},{acc}")
    return "\n".join(lines) + "\n"


async def seated_event(
    api: Api, organizer: User, body: str | bytes, content_type: str, **overrides: Any
) -> tuple[str, dict[str, Any]]:
    event = await api.event(organizer, publish=False, **overrides)
    ev = event["event_id"]
    r = await api.client.put(
        f"/api/v1/events/{ev}/sections/FLOOR/seatmap",
        content=body,
        headers={**organizer.headers, "Content-Type": content_type},
    )
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    r = await api.client.post(f"/api/v1/events/{ev}/publish", headers=organizer.headers)
    assert r.status_code == 200, r.text
    return ev, result


async def seats_view(api: Api, ev: str) -> dict[str, Any]:
    r = await api.client.get(f"/api/v1/events/{ev}/sections/FLOOR/seats")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "public, max-age=1"
    body: dict[str, Any] = r.json()
    return body


def status_of(view: dict[str, Any]) -> dict[str, str]:
    return {s["seat_id"]: s["status"] for s in view["seats"]}


async def test_pretix_plan_imports_exports_and_round_trips(api: Api, organizer: User) -> None:
    plan = pretix_plan(rows=16, per_row=20)  # 320 seats, two zones, two categories
    plan["onsale"] = {"prices": {"stalls": 4500, "balcony": 2500}, "accessible": ["g000000"]}
    ev, result = await seated_event(api, organizer, json.dumps(plan), "application/json")
    assert result["seats"] == 320
    assert result["capacity"] == 320
    assert [(c["name"], c["price_cents"]) for c in result["categories"]] == [
        ("stalls", 4500),
        ("balcony", 2500),
    ]
    event = (await api.client.get(f"/api/v1/events/{ev}")).json()
    assert event["sections"][0]["capacity"] == 320
    view = await seats_view(api, ev)
    assert len(view["seats"]) == 320
    assert view["counts"] == {"free": 320, "held": 0, "sold": 0, "blocked": 0}
    first = next(s for s in view["seats"] if s["seat_id"] == "g000000")
    # Zone (0, 40) + row (10, 0) + seat (0, 0); the seat flagged accessible.
    assert (first["x"], first["y"], first["row"], first["number"]) == (10, 40, "A", "1")
    assert first["accessible"] is True

    pretix = await api.client.get(
        f"/api/v1/events/{ev}/sections/FLOOR/seatmap?format=pretix", headers=organizer.headers
    )
    assert pretix.status_code == 200, pretix.text
    assert pretix.json() == {k: v for k, v in plan.items() if k != "onsale"}
    check_pretix_shape(pretix.json())

    full = await api.client.get(
        f"/api/v1/events/{ev}/sections/FLOOR/seatmap", headers=organizer.headers
    )
    assert full.json()["onsale"]["prices"] == {"stalls": 4500, "balcony": 2500}
    # The export imports again as the same map (another event).
    ev2, again = await seated_event(api, organizer, full.content, "application/json")
    assert again == result
    assert (await seats_view(api, ev2))["seats"] == view["seats"]

    csv_export = await api.client.get(
        f"/api/v1/events/{ev}/sections/FLOOR/seatmap",
        headers={**organizer.headers, "Accept": "text/csv"},
    )
    assert csv_export.headers["content-type"].startswith("text/csv")
    ev3, from_csv = await seated_event(api, organizer, csv_export.content, "text/csv")
    assert from_csv["seats"] == 320
    assert status_of(await seats_view(api, ev3)) == status_of(view)
    by_id = {s["seat_id"]: s for s in (await seats_view(api, ev3))["seats"]}
    for seat in view["seats"]:
        assert by_id[seat["seat_id"]] == seat


async def test_bad_plans_are_refused_with_their_codes(api: Api, organizer: User) -> None:
    event = await api.event(organizer, publish=False)
    url = f"/api/v1/events/{event['event_id']}/sections/FLOOR/seatmap"
    plan = pretix_plan(rows=2, per_row=3)
    dup = json.loads(json.dumps(plan))
    dup["zones"][0]["rows"][0]["seats"][1]["seat_guid"] = "g000000"
    unknown = json.loads(json.dumps(plan))
    unknown["zones"][0]["rows"][0]["seats"][0]["category"] = "vip"
    cases = [
        (json.dumps(dup), "application/json", 422, "seat_duplicate"),
        (json.dumps(unknown), "application/json", 422, "category_unknown"),
        ('{"name": "x"}', "application/json", 422, "seatmap_invalid"),
        ("not json", "application/json", 400, "invalid_request"),
        ("section,row,seat\nFLOOR,A,1\n", "text/csv", 422, "seatmap_invalid"),
        (csv_map(1, 2, section="OTHER"), "text/csv", 422, "seatmap_invalid"),
        ("section,row,seat,category,x,y,accessible\n", "text/csv", 422, "seatmap_empty"),
    ]
    for body, ctype, status, code in cases:
        r = await api.client.put(
            url, content=body, headers={**organizer.headers, "Content-Type": ctype}
        )
        problem = assert_problem(r, status, code)
        if code == "seat_duplicate":
            assert problem["seats"] == ["g000000"]
    fan = await api.user()
    r = await api.client.put(
        url, content=csv_map(1, 2), headers={**fan.headers, "Content-Type": "text/csv"}
    )
    assert_problem(r, 403, "forbidden")
    other = await api.user("organizer")
    r = await api.client.put(
        url, content=csv_map(1, 2), headers={**other.headers, "Content-Type": "text/csv"}
    )
    assert_problem(r, 404, "not_found")


async def test_pick_best_available_block_and_release(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    ev, _ = await seated_event(api, organizer, csv_map(4, 6), "text/csv")
    fans = await create_fans(settings.database_url, settings.secret_key, 3)
    await admit(redis, settings.secret_key, ev, fans)
    a, b, c = fans
    url = f"/api/v1/events/{ev}/holds"

    r = await api.client.post(
        url, json={"section": "FLOOR", "seats": ["B-3", "B-4"]}, headers=a.headers(ev)
    )
    assert r.status_code == 201, r.text
    held = r.json()
    assert held["quantity"] == 2
    assert held["seats"] == [
        {"seat_id": "B-3", "row": "B", "number": "3"},
        {"seat_id": "B-4", "row": "B", "number": "4"},
    ]
    assert held["amount_cents"] == 2 * 5000  # the section's price for a category without one
    got = await api.client.get(f"/api/v1/holds/{held['hold_id']}", headers=a.headers())
    assert got.json()["seats"] == held["seats"]

    r = await api.client.post(
        url, json={"section": "FLOOR", "seats": ["B-4", "B-5", "B-3"]}, headers=b.headers(ev)
    )
    problem = assert_problem(r, 409, "seats_taken")
    assert sorted(problem["seats"]) == ["B-3", "B-4"]
    r = await api.client.post(
        url, json={"section": "FLOOR", "seats": ["Z-9"]}, headers=b.headers(ev)
    )
    assert assert_problem(r, 422, "seats_unknown")["seats"] == ["Z-9"]

    view = await seats_view(api, ev)
    assert status_of(view)["B-3"] == "held"
    assert view["counts"] == {"free": 22, "held": 2, "sold": 0, "blocked": 0}
    r1 = await api.client.get(f"/api/v1/events/{ev}/sections/FLOOR/seats")
    r2 = await api.client.get(
        f"/api/v1/events/{ev}/sections/FLOOR/seats", headers={"If-None-Match": r1.headers["etag"]}
    )
    assert r2.status_code == 304

    # Best available: row A is the front (the focal point is the front centre); the two
    # accessible seats are offered only when asked for.
    r = await api.client.post(
        url, json={"section": "FLOOR", "quantity": 2, "best_available": True}, headers=b.headers(ev)
    )
    assert r.status_code == 201, r.text
    assert [s["seat_id"] for s in r.json()["seats"]] == ["A-3", "A-4"]
    r = await api.client.post(
        url,
        json={"section": "FLOOR", "quantity": 2, "best_available": True, "accessible": True},
        headers=c.headers(ev),
    )
    assert [s["seat_id"] for s in r.json()["seats"]] == ["A-1", "A-2"]
    r = await api.client.post(
        url,
        json={"section": "FLOOR", "quantity": 1, "best_available": True, "category": "back"},
        headers=c.headers(ev),
    )
    assert r.json()["seats"][0]["row"] == "C"

    # Blocking: a held seat refuses the whole request, named; a free one leaves capacity.
    block = f"/api/v1/events/{ev}/sections/FLOOR/seats/block"
    r = await api.client.post(block, json={"seats": ["D-1", "B-3"]}, headers=organizer.headers)
    assert assert_problem(r, 409, "seats_taken")["seats"] == ["B-3"]
    r = await api.client.post(block, json={"seats": ["D-1", "D-2"]}, headers=organizer.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"changed": ["D-1", "D-2"], "capacity": 22}
    r = await api.client.post(
        url, json={"section": "FLOOR", "seats": ["D-2"]}, headers=c.headers(ev)
    )
    assert assert_problem(r, 409, "seats_taken")["seats"] == ["D-2"]
    stats = (await api.client.get(f"/api/v1/events/{ev}/stats", headers=organizer.headers)).json()
    floor = stats["sections"][0]
    assert floor["capacity"] == 22
    assert floor["available"] + floor["held"] + floor["sold"] == floor["capacity"]
    r = await api.client.post(
        f"/api/v1/events/{ev}/sections/FLOOR/seats/unblock",
        json={"seats": ["D-1"]},
        headers=organizer.headers,
    )
    assert r.json() == {"changed": ["D-1"], "capacity": 23}
    r = await api.client.post(
        f"/api/v1/events/{ev}/sections/FLOOR/capacity", json={"delta": 5}, headers=organizer.headers
    )
    assert_problem(r, 409, "section_seated")

    # Release: the seats are free at once.
    r = await api.client.delete(f"/api/v1/holds/{held['hold_id']}", headers=a.headers())
    assert r.status_code == 204
    assert status_of(await seats_view(api, ev))["B-3"] == "free"

    # A re-import may not drop a held seat.
    r = await api.client.put(
        f"/api/v1/events/{ev}/sections/FLOOR/seatmap",
        content=csv_map(1, 6),
        headers={**organizer.headers, "Content-Type": "text/csv"},
    )
    problem = assert_problem(r, 409, "seats_in_use")
    assert "C-1" in problem["seats"] or "C-3" in problem["seats"] or problem["seats"]


@pytest.mark.slow
async def test_storm_of_overlapping_pairs_sells_no_seat_twice(
    api: Api, organizer: User, settings: Settings, redis: Redis
) -> None:
    """2,000 concurrent requests for overlapping pairs of a 500-seat map: every seat ends
    in at most one hold, every refusal names seats that were taken, conservation holds,
    and after converting every hold no seat is sold twice."""
    ev, _ = await seated_event(
        api, organizer, csv_map(20, 25), "text/csv", max_per_user=10, max_per_order=6
    )
    fans = await create_fans(settings.database_url, settings.secret_key, 400)
    await admit(redis, settings.secret_key, ev, fans)
    rng = random.Random(27)
    requests = []
    for i in range(2000):
        r = rng.randrange(20)
        n = rng.randrange(1, 25)
        requests.append((fans[i % 400], [f"{chr(65 + r)}-{n}", f"{chr(65 + r)}-{n + 1}"]))
    sem = asyncio.Semaphore(200)

    async def one(fan: Any, pair: list[str]) -> tuple[Any, list[str], Any]:
        async with sem:
            r = await api.client.post(
                f"/api/v1/events/{ev}/holds",
                json={"section": "FLOOR", "seats": pair},
                headers=fan.headers(ev),
            )
            return fan, pair, r

    results = await asyncio.gather(*(one(f, p) for f, p in requests))
    won: dict[str, str] = {}
    holds: list[tuple[str, str, list[str]]] = []
    for fan, pair, r in results:
        if r.status_code == 201:
            body = r.json()
            assert [s["seat_id"] for s in body["seats"]] == pair
            for seat in pair:
                assert seat not in won, f"{seat} in two holds"
                won[seat] = body["hold_id"]
            holds.append((body["hold_id"], fan.user_id, pair))
        else:
            problem = r.json()
            assert problem["code"] in ("seats_taken", "limit_exceeded"), problem
            if problem["code"] == "seats_taken":
                assert problem["seats"]
                assert set(problem["seats"]) <= set(pair)
    assert len(holds) > 100
    view = await seats_view(api, ev)
    statuses = status_of(view)
    assert {s for s, st in statuses.items() if st == "held"} == set(won)
    for _, _pair, r in results:
        if r.status_code == 409 and r.json()["code"] == "seats_taken":
            assert set(r.json()["seats"]) <= set(won)
    stats = (await api.client.get(f"/api/v1/events/{ev}/stats", headers=organizer.headers)).json()
    floor = stats["sections"][0]
    assert floor["held"] == len(won)
    assert floor["available"] + floor["held"] + floor["sold"] == floor["capacity"] == 500

    # Every hold paid: each seat sold once, the counters follow the seats.
    hs = hold_scripts(Scripts(redis))
    for hold_id, user_id, _pair in holds:
        code = await hs.convert(
            ev,
            hold_id,
            payment_intent_id=f"pi_{hold_id}",
            order_id=f"o_{hold_id}",
            user_id=user_id,
            section="FLOOR",
            quantity=2,
            now=0,
        )
        assert int(code) == 1
    view = await seats_view(api, ev)
    assert view["counts"]["sold"] == len(won)
    assert view["counts"]["held"] == 0
    assert view["counts"]["free"] == 500 - len(won)
