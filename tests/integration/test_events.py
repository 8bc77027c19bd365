"""Organizer-side events over HTTP: roles, ownership, validation, status changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.api import Api, assert_problem, event_body


async def test_fan_cannot_create_events(api: Api) -> None:
    fan = await api.user()
    r = await api.client.post("/api/v1/events", json=event_body(), headers=fan.headers)
    assert_problem(r, 403, "forbidden")


async def test_anonymous_cannot_create_events(api: Api) -> None:
    r = await api.client.post("/api/v1/events", json=event_body())
    assert_problem(r, 401, "unauthorized")


async def test_create_get_and_public_shape(api: Api) -> None:
    org = await api.user("organizer")
    event = await api.event(org, publish=False)
    assert event["status"] == "draft"
    assert event["on_sale"] is False
    assert event["organizer_id"] == org.user_id
    assert event["sections"] == [
        {
            "code": "FLOOR",
            "name": "Floor",
            "price_cents": 5000,
            "capacity": 100,
            "available": 100,
            "seated": False,
        }
    ]
    assert len(event["fairness"]["seed_sha256"]) == 64
    assert event["fairness"]["seed"] is None
    r = await api.client.get(f"/api/v1/events/{event['event_id']}", headers=org.headers)
    assert r.status_code == 200
    assert r.json() == event


async def test_organizer_cannot_see_or_patch_another_organizers_draft(api: Api) -> None:
    owner = await api.user("organizer")
    other = await api.user("organizer")
    event = await api.event(owner, publish=False)
    path = f"/api/v1/events/{event['event_id']}"
    assert_problem(await api.client.get(path, headers=other.headers), 404, "not_found")
    assert_problem(await api.client.get(path), 404, "not_found")
    r = await api.client.patch(path, json={"name": "Hijacked"}, headers=other.headers)
    assert_problem(r, 404, "not_found")
    r = await api.client.post(f"{path}/publish", headers=other.headers)
    assert_problem(r, 404, "not_found")
    listing = await api.client.get("/api/v1/events", headers=other.headers)
    assert event["event_id"] not in [e["event_id"] for e in listing.json()["items"]]
    # The owner still sees it untouched; an admin sees everything.
    r = await api.client.get(path, headers=owner.headers)
    assert r.json()["name"] == "Test Night"
    admin = await api.user("admin")
    assert (await api.client.get(path, headers=admin.headers)).status_code == 200


async def test_publish_pause_resume(api: Api) -> None:
    org = await api.user("organizer")
    event = await api.event(org, publish=True)
    assert event["status"] == "published"
    assert event["on_sale"] is True
    # After open the seed is revealed and matches its published hash.
    import hashlib

    seed = event["fairness"]["seed"]
    assert seed is not None
    assert hashlib.sha256(seed.encode()).hexdigest() == event["fairness"]["seed_sha256"]
    path = f"/api/v1/events/{event['event_id']}"
    r = await api.client.post(f"{path}/pause", headers=org.headers)
    assert r.status_code == 200
    assert r.json()["status"] == "paused"
    assert r.json()["on_sale"] is False
    r = await api.client.post(f"{path}/resume", headers=org.headers)
    assert r.json()["status"] == "published"
    # Repeating a change is a no-op; pausing a draft is not a valid change.
    r = await api.client.post(f"{path}/resume", headers=org.headers)
    assert r.json()["status"] == "published"
    draft = await api.event(org, publish=False)
    r = await api.client.post(f"/api/v1/events/{draft['event_id']}/pause", headers=org.headers)
    assert_problem(r, 409, "invalid_status")
    public = await api.client.get("/api/v1/events")
    assert event["event_id"] in [e["event_id"] for e in public.json()["items"]]


async def test_draft_not_listed_publicly(api: Api) -> None:
    org = await api.user("organizer")
    event = await api.event(org, publish=False)
    public = await api.client.get("/api/v1/events")
    assert event["event_id"] not in [e["event_id"] for e in public.json()["items"]]
    mine = await api.client.get("/api/v1/events?status=draft", headers=org.headers)
    assert [e["event_id"] for e in mine.json()["items"]] == [event["event_id"]]


async def test_patch_event(api: Api) -> None:
    org = await api.user("organizer")
    event = await api.event(org, publish=False)
    path = f"/api/v1/events/{event['event_id']}"
    r = await api.client.patch(
        path,
        json={
            "name": "Renamed",
            "max_per_user": 4,
            "sections": [{"code": "A", "name": "A", "price_cents": 100, "capacity": 10}],
        },
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "Renamed"
    assert body["max_per_user"] == 4
    assert [s["code"] for s in body["sections"]] == ["A"]
    # Invalid patch: times out of order; nothing changes.
    later = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    r = await api.client.patch(path, json={"onsale_at": later}, headers=org.headers)
    assert_problem(r, 422, "invalid_request")
    assert (await api.client.get(path, headers=org.headers)).json() == body
    # Sections of a published event change only through the capacity endpoint.
    await api.client.post(f"{path}/publish", headers=org.headers)
    r = await api.client.patch(
        path,
        json={"sections": [{"code": "B", "name": "B", "price_cents": 1, "capacity": 1}]},
        headers=org.headers,
    )
    assert_problem(r, 409, "event_not_draft")


def _shift(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"onsale_at": _shift(5), "offsale_at": _shift(4)}, "offsale_at"),
        ({"starts_at": _shift(-1)}, "starts_at"),
        ({"currency": "EUX"}, "currency"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        (
            {
                "sections": [
                    {"code": "A", "name": "A", "price_cents": 1, "capacity": 1},
                    {"code": "A", "name": "A2", "price_cents": 1, "capacity": 1},
                ]
            },
            "sections",
        ),
        ({"sections": [{"code": "A", "name": "A", "price_cents": 1, "capacity": 0}]}, "capacity"),
        ({"max_per_order": 0}, "max_per_order"),
        ({"max_per_user": 0}, "max_per_user"),
        ({"sections": []}, "sections"),
        ({"waiting_room": {"mode": "lottery"}}, "mode"),
        ({"onsale_at": "not-a-date"}, "onsale_at"),
    ],
)
async def test_event_validation(api: Api, overrides: dict[str, object], field: str) -> None:
    org = await api.user("organizer")
    r = await api.client.post("/api/v1/events", json=event_body(**overrides), headers=org.headers)
    assert r.status_code in (400, 422), r.text
    body = assert_problem(r, r.status_code, "invalid_request")
    assert any(field in e["field"] or field in e["message"] for e in body["errors"]), body


async def test_missing_fields_and_wrong_types(api: Api) -> None:
    org = await api.user("organizer")
    body = event_body()
    del body["venue"]
    r = await api.client.post("/api/v1/events", json=body, headers=org.headers)
    problem = assert_problem(r, 400, "invalid_request")
    assert any("venue" in e["message"] or "venue" in e["field"] for e in problem["errors"])
    r = await api.client.post(
        "/api/v1/events", json=event_body(hold_ttl_s="ten"), headers=org.headers
    )
    problem = assert_problem(r, 400, "invalid_request")
    assert any(
        "hold_ttl_s" in e["message"] or "hold_ttl_s" in e["field"] for e in problem["errors"]
    )
    r = await api.client.post("/api/v1/events", json=[1, 2], headers=org.headers)
    assert_problem(r, 400, "invalid_request")


async def test_unknown_event_ids(api: Api) -> None:
    assert_problem(await api.client.get("/api/v1/events/not-a-uuid"), 404, "not_found")
    r = await api.client.get("/api/v1/events/00000000-0000-7000-8000-000000000000")
    assert_problem(r, 404, "not_found")


async def test_bootstrap_admin(settings, database_url) -> None:  # type: ignore[no-untyped-def]
    import msgspec
    from litestar.testing import AsyncTestClient

    from app.asgi import create_app

    boot = msgspec.structs.replace(
        settings,
        bootstrap_admin_email="root@example.com",
        bootstrap_admin_password="root password!",
    )
    async with AsyncTestClient(app=create_app(boot)) as client:
        api = Api(client, database_url)
        token = await api.login("root@example.com", "root password!")
        r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert "admin" in r.json()["roles"]
