"""Finding 2: an event id in any spelling (upper case, no hyphens) reaches Redis and Postgres
as the same canonical id, so a capacity change moves both, and finalize stays consistent."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from app.core import keys
from app.core.settings import Settings
from tests.support.api import Api, bulk_fans
from tests.support.holds import inventory


def spellings(event_id: str) -> list[str]:
    u = uuid.UUID(event_id)
    return [str(u).upper(), u.hex, u.hex.upper()]


async def test_capacity_change_through_any_spelling_moves_redis_and_postgres(
    api: Api, settings: Settings
) -> None:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 100, "capacity": 11}]
    ev = (await api.event(org, sections=sections))["event_id"]
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        upper = spellings(ev)[0]
        r = await api.client.post(
            f"/api/v1/events/{upper}/sections/FLOOR/capacity",
            json={"delta": -9},
            headers=org.headers,
        )
        assert r.status_code == 200, r.text
        assert (await inventory(redis, ev))["capacity"] == 2
        # At once: the change dropped the public view's cached figures under the canonical id.
        for spelling in spellings(ev):
            body = (await api.client.get(f"/api/v1/events/{spelling}")).json()
            assert body["event_id"] == ev
            assert body["sections"][0]["capacity"] == 2
            assert body["sections"][0]["available"] == 2
        # Nothing was written under a tag of another spelling. (Other events' keys are not
        # this test's business: a previous test's late metrics write can land after the flush.)
        others = spellings(ev)
        stray = [k async for k in redis.scan_iter(match="{ev:*") if any(o in k for o in others)]
        assert stray == []
        assert [k async for k in redis.scan_iter(match=f"{{ev:{ev}}}:*")] != []
    finally:
        await redis.aclose()


async def test_queue_and_holds_through_any_spelling_share_one_inventory(
    api: Api, settings: Settings
) -> None:
    org = await api.user("organizer")
    ev = (await api.event(org))["event_id"]
    fan = (await bulk_fans(settings, 1))[0]
    hex_upper = spellings(ev)[2]
    r = await api.client.post(f"/api/v1/events/{hex_upper}/queue", headers=fan.headers)
    assert r.status_code in (200, 201), r.text
    token = r.json()["admission_token"]
    r = await api.client.post(
        f"/api/v1/events/{spellings(ev)[1]}/holds",
        json={"section": "FLOOR", "quantity": 2},
        headers={**fan.headers, "X-Admission-Token": token, "Idempotency-Key": "k1"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["event_id"] == ev
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        assert await inventory(redis, ev) == {
            "capacity": 100,
            "available": 98,
            "held": 2,
            "sold": 0,
        }
        assert await redis.exists(keys.event_meta(ev.upper())) == 0
    finally:
        await redis.aclose()


async def test_malformed_event_id_is_a_problem_404(api: Api) -> None:
    r = await api.client.get("/api/v1/events/not-a-uuid")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_found"


async def test_own_account_guards_hold_for_every_spelling_of_the_id(api: Api) -> None:
    """Issue 22 finding 2: "not your own" compared raw strings, so the admin's own id in upper
    case reset the admin's own second factor. Every spelling is the same account."""
    admin = await api.user("admin")
    for own in [*spellings(admin.user_id), f"{{{admin.user_id}}}"]:
        r = await api.client.delete(f"/api/v1/admin/users/{own}/totp", headers=admin.headers)
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (own, r.text)
        r = await api.client.delete(f"/api/v1/admin/users/{own}/roles/admin", headers=admin.headers)
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (own, r.text)
    # Still an admin with a second factor.
    r = await api.client.get(
        "/api/v1/admin/users", params={"q": admin.email}, headers=admin.headers
    )
    (me,) = r.json()["items"]
    assert me["totp_enabled"] is True
    assert "admin" in me["roles"]


async def test_audit_entries_keep_the_canonical_target_id(api: Api) -> None:
    admin = await api.user("admin")
    target = await api.user("fan")
    upper = spellings(target.user_id)[0]
    r = await api.client.post(
        f"/api/v1/admin/users/{upper}/roles", json={"roles": ["organizer"]}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["user_id"] == target.user_id
    r = await api.client.delete(
        f"/api/v1/admin/users/{spellings(target.user_id)[2]}/roles/organizer",
        headers=admin.headers,
    )
    assert r.status_code == 204, r.text
    r = await api.client.delete(f"/api/v1/admin/users/{upper}/totp", headers=admin.headers)
    assert r.status_code == 204, r.text
    r = await api.client.get("/api/v1/admin/audit", headers=admin.headers)
    mine = [e for e in r.json()["items"] if e["action"].startswith("user.")]
    assert {e["action"] for e in mine} >= {
        "user.roles_grant",
        "user.roles_revoke",
        "user.totp_reset",
    }
    assert {e["target_id"] for e in mine} == {target.user_id}


async def test_audit_search_by_any_spelling_of_an_event(api: Api) -> None:
    admin = await api.user("admin")
    org = await api.user("organizer")
    ev = (await api.event(org))["event_id"]
    r = await api.client.post(
        f"/api/v1/events/{spellings(ev)[0]}/sections/FLOOR/capacity",
        json={"delta": -1},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    for spelling in spellings(ev):
        r = await api.client.get(
            "/api/v1/admin/audit", params={"event_id": spelling}, headers=admin.headers
        )
        assert r.status_code == 200, r.text
        actions = {e["action"] for e in r.json()["items"]}
        assert "event.capacity" in actions, (spelling, actions)
        assert {e["event_id"] for e in r.json()["items"]} == {ev}
