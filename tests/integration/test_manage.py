"""The console's read endpoints: live sale figures, order search, the user list and role removal."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg

from tests.support.api import Api


async def _orders(database_url: str, event_id: str, buyer_id: str, n: int) -> list[str]:
    """n confirmed orders, their holds converted, plus one failed payment and ended holds."""
    ids = [str(uuid.uuid4()) for _ in range(n)]
    now = datetime.now(UTC)
    conn = await asyncpg.connect(database_url)
    try:
        for i, order_id in enumerate(ids):
            await conn.execute(
                "INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code, quantity,"
                " status, amount_cents, currency, payment_intent_id, confirmed_at)"
                " VALUES ($1, $2, $3, $4, 'FLOOR', 1, 'confirmed', 5000, 'EUR', $5, now())",
                uuid.UUID(order_id), uuid.UUID(event_id), uuid.UUID(buyer_id), f"h{i}", f"pi_{i}",
            )  # fmt: skip
        for i, status in enumerate(["converted"] * n + ["expired", "released"]):
            await conn.execute(
                "INSERT INTO holds (hold_id, event_id, section_code, user_id, quantity,"
                " amount_cents, currency, status, created_at, expires_at)"
                " VALUES ($1, $2, 'FLOOR', $3, 1, 5000, 'EUR', $4, $5, $5)",
                f"h{i}", uuid.UUID(event_id), uuid.UUID(buyer_id), status, now,
            )  # fmt: skip
        await conn.execute(
            "INSERT INTO webhook_events (stripe_event_id, type, payment_intent_id, payload)"
            " VALUES ('evt_1', 'payment_intent.payment_failed', 'pi_0', $1)",
            json.dumps({}),
        )
    finally:
        await conn.close()
    return ids


async def test_live_sale_figures_for_the_owner_only(api: Api) -> None:
    owner = await api.user("organizer")
    rival = await api.user("organizer")
    fan = await api.user("fan")
    event = await api.event(owner)
    await _orders(api.database_url, event["event_id"], fan.user_id, 3)
    path = f"/api/v1/events/{event['event_id']}/live"
    r = await api.client.get(path, headers=owner.headers)
    assert r.status_code == 200, r.text
    live = r.json()
    assert live["status"] == "published"
    assert live["orders_last_min"] == 3
    assert live["payment_failures"] == 1
    assert (live["holds_converted"], live["holds_expired"], live["holds_released"]) == (3, 1, 1)
    assert live["hold_success"] == 0.6
    section = live["stats"]["sections"][0]
    assert section["available"] + section["held"] + section["sold"] == section["capacity"]
    assert (await api.client.get(path, headers=rival.headers)).status_code == 404
    assert (await api.client.get(path, headers=fan.headers)).status_code == 403
    assert (await api.client.get(path)).status_code == 401


async def test_order_search_by_email_and_id_within_own_events(api: Api) -> None:
    owner = await api.user("organizer")
    rival = await api.user("organizer")
    fan = await api.user("fan")
    event = await api.event(owner)
    ids = await _orders(api.database_url, event["event_id"], fan.user_id, 2)

    r = await api.client.get("/api/v1/manage/orders", headers=owner.headers)
    assert {o["order_id"] for o in r.json()["items"]} == set(ids)
    needle = fan.email.split("@")[0][-6:].upper()
    r = await api.client.get("/api/v1/manage/orders", params={"q": needle}, headers=owner.headers)
    assert len(r.json()["items"]) == 2
    assert r.json()["items"][0]["email"] == fan.email
    assert r.json()["items"][0]["event_name"] == event["name"]
    r = await api.client.get("/api/v1/manage/orders", params={"q": ids[1]}, headers=owner.headers)
    assert [o["order_id"] for o in r.json()["items"]] == [ids[1]]
    # LIKE wildcards in the query are taken literally.
    r = await api.client.get("/api/v1/manage/orders", params={"q": "%"}, headers=owner.headers)
    assert r.json()["items"] == []
    r = await api.client.get(
        "/api/v1/manage/orders",
        params={"event_id": event["event_id"]},
        headers=owner.headers,
    )
    assert len(r.json()["items"]) == 2

    # Another organizer finds nothing, and cannot name the event.
    r = await api.client.get("/api/v1/manage/orders", params={"q": ids[0]}, headers=rival.headers)
    assert r.json()["items"] == []
    r = await api.client.get(
        "/api/v1/manage/orders", params={"event_id": event["event_id"]}, headers=rival.headers
    )
    assert r.status_code == 404
    r = await api.client.get(
        "/api/v1/manage/orders", params={"event_id": "nope"}, headers=owner.headers
    )
    assert r.status_code == 404
    assert (await api.client.get("/api/v1/manage/orders", headers=fan.headers)).status_code == 403


async def test_admin_lists_users_and_removes_roles(api: Api) -> None:
    admin = await api.user("admin")
    organizer = await api.user("organizer")
    r = await api.client.get("/api/v1/admin/users", headers=admin.headers)
    assert r.status_code == 200
    by_id = {u["user_id"]: u for u in r.json()["items"]}
    assert by_id[admin.user_id]["totp_enabled"] is True  # admins sign in with a second factor
    assert set(by_id[organizer.user_id]["roles"]) == {"fan", "organizer"}
    r = await api.client.get(
        "/api/v1/admin/users", params={"role": "organizer"}, headers=admin.headers
    )
    assert [u["user_id"] for u in r.json()["items"]] == [organizer.user_id]
    r = await api.client.get(
        "/api/v1/admin/users", params={"q": organizer.email.upper()}, headers=admin.headers
    )
    assert [u["user_id"] for u in r.json()["items"]] == [organizer.user_id]

    path = f"/api/v1/admin/users/{organizer.user_id}/roles"
    assert (await api.client.delete(f"{path}/organizer", headers=admin.headers)).status_code == 204
    r = await api.client.get(
        "/api/v1/admin/users", params={"role": "organizer"}, headers=admin.headers
    )
    assert r.json()["items"] == []
    assert (await api.client.delete(f"{path}/fan", headers=admin.headers)).status_code == 422
    assert (await api.client.delete(f"{path}/root", headers=admin.headers)).status_code == 422
    own = f"/api/v1/admin/users/{admin.user_id}/roles/admin"
    assert (await api.client.delete(own, headers=admin.headers)).status_code == 403
    # The removal ended the organizer's sessions; signed in again, the account is a fan.
    r = await api.client.get("/api/v1/admin/users", headers=organizer.headers)
    assert r.status_code == 401
    organizer.token = await api.login(organizer.email, organizer.password)
    r = await api.client.get("/api/v1/admin/users", headers=organizer.headers)
    assert r.status_code == 403
    r = await api.client.delete(f"{path}/organizer", headers=organizer.headers)
    assert r.status_code == 403
    r = await api.client.get("/api/v1/admin/audit?action=user.roles_revoke", headers=admin.headers)
    (revoked,) = r.json()["items"]
    assert (revoked["actor_id"], revoked["target_id"]) == (admin.user_id, organizer.user_id)
    assert revoked["detail"] == {"role": "organizer", "sessions_ended": 1}


async def test_admin_resets_a_lost_authenticator(api: Api) -> None:
    """A lost phone: another admin removes the authenticator; the account's sessions end and
    its next sign-in is a new enrolment (admins must have a second factor)."""
    admin = await api.user("admin")
    lost = await api.user("admin")
    fan = await api.user("fan")
    path = f"/api/v1/admin/users/{lost.user_id}/totp"
    assert (await api.client.get("/api/v1/me", headers=lost.headers)).status_code == 200

    assert (await api.client.delete(path, headers=fan.headers)).status_code == 403
    own = f"/api/v1/admin/users/{admin.user_id}/totp"
    assert (await api.client.delete(own, headers=admin.headers)).json()["code"] == "forbidden"
    for unknown in (str(uuid.uuid4()), "nope"):
        r = await api.client.delete(f"/api/v1/admin/users/{unknown}/totp", headers=admin.headers)
        assert (r.status_code, r.json()["code"]) == (404, "not_found")

    assert (await api.client.delete(path, headers=admin.headers)).status_code == 204
    assert (await api.client.get("/api/v1/me", headers=lost.headers)).status_code == 401
    r = await api.client.post(
        "/api/v1/auth/login", json={"email": lost.email, "password": lost.password}
    )
    assert r.json()["second_factor"] == "totp_enrolment"
    r = await api.client.get("/api/v1/admin/users", params={"q": lost.email}, headers=admin.headers)
    assert [u["totp_enabled"] for u in r.json()["items"]] == [False]
    conn = await asyncpg.connect(api.database_url)
    try:
        left = await conn.fetchval(
            "SELECT count(*) FROM user_recovery_codes WHERE user_id = $1", uuid.UUID(lost.user_id)
        )
        assert left == 0
    finally:
        await conn.close()
    r = await api.client.get("/api/v1/admin/audit?action=user.totp_reset", headers=admin.headers)
    (entry,) = r.json()["items"]
    assert (entry["actor_id"], entry["target_id"]) == (admin.user_id, lost.user_id)
    assert entry["detail"] == {"had_authenticator": True, "sessions_ended": 1}
    # Again: nothing left to remove, still 204.
    assert (await api.client.delete(path, headers=admin.headers)).status_code == 204


async def test_orders_and_users_page_through_every_row_once(api: Api) -> None:
    """Paging by cursor: newest first, every row once, rows that share a creation time
    included (the cursor breaks ties by id), the last page without a cursor."""
    owner = await api.user("organizer")
    fan = await api.user("fan")
    event = await api.event(owner)
    conn = await asyncpg.connect(api.database_url)
    ids = [str(uuid.uuid4()) for _ in range(7)]
    same = datetime(2026, 1, 1, 12, tzinfo=UTC)
    try:
        for i, order_id in enumerate(ids):
            await conn.execute(
                "INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code, quantity,"
                " status, amount_cents, currency, payment_intent_id, created_at)"
                " VALUES ($1, $2, $3, $4, 'FLOOR', 1, 'confirmed', 5000, 'EUR', $5, $6)",
                uuid.UUID(order_id), uuid.UUID(event["event_id"]), uuid.UUID(fan.user_id),
                f"hp{i}", f"pi_p{i}", same if i < 4 else same.replace(hour=13 + i),
            )  # fmt: skip
    finally:
        await conn.close()
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        r = await api.client.get("/api/v1/manage/orders", params=params, headers=owner.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= 2
        seen += [o["order_id"] for o in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert sorted(seen) == sorted(ids)  # all of them, none twice
    assert seen[:3] == [ids[6], ids[5], ids[4]]  # newest first
    assert seen[3:] == sorted(ids[:4], reverse=True)  # a tie: by id
    # A cursor of another shape is the client's mistake, named on its field.
    for bad in ("nope", "12_not-a-uuid", "1" * 18 + "_" + ids[0]):
        r = await api.client.get(
            "/api/v1/manage/orders", params={"cursor": bad}, headers=owner.headers
        )
        assert r.status_code == 422, (bad, r.text)
        assert [e["field"] for e in r.json()["errors"]] == ["cursor"]
    r = await api.client.get("/api/v1/manage/orders", params={"limit": 0}, headers=owner.headers)
    assert r.status_code in (400, 422)

    admin = await api.user("admin")
    organizers = await api.users(3, "organizer")
    got: list[str] = []
    cursor = None
    while True:
        params = {"role": "organizer", "limit": "2", **({"cursor": cursor} if cursor else {})}
        r = await api.client.get("/api/v1/admin/users", params=params, headers=admin.headers)
        assert r.status_code == 200, r.text
        got += [u["user_id"] for u in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    expected = [owner.user_id, *(u.user_id for u in organizers)]
    assert sorted(got) == sorted(expected)
    assert len(got) == len(set(got)) == 4
    assert got[0] == organizers[-1].user_id  # the newest account first


async def test_the_audit_log_reads_as_a_timeline_with_filters_and_pages(api: Api) -> None:
    """Who (email), what, which event (name), from where, the target by email or name; a
    filter by the actor's email and by action; pages by `before`."""
    admin = await api.user("admin")
    organizer = await api.user("organizer")
    fan = await api.user("fan")
    event = await api.event(organizer)  # event.create + event.publish by the organizer
    r = await api.client.post(
        f"/api/v1/admin/users/{fan.user_id}/roles",
        json={"roles": ["organizer"]},
        headers=admin.headers,
    )
    assert r.status_code in (200, 201, 204), r.text
    r = await api.client.get("/api/v1/admin/audit", headers=admin.headers)
    assert r.status_code == 200, r.text
    entries = r.json()["items"]
    grant = next(e for e in entries if e["action"] == "user.roles_grant")
    assert grant["actor_email"] == admin.email
    assert grant["target_label"] == fan.email
    assert grant["client_ip"]  # from where: never empty for a request
    publish = next(e for e in entries if e["action"] == "event.publish")
    assert publish["actor_email"] == organizer.email
    assert publish["event_name"] == event["name"]
    assert publish["target_label"] == event["name"]

    # Filter by part of the actor's email (any case): only the organizer's entries.
    needle = organizer.email.split("@")[0][-8:].upper()
    r = await api.client.get("/api/v1/admin/audit", params={"actor": needle}, headers=admin.headers)
    mine = r.json()["items"]
    assert {e["action"] for e in mine} == {"event.create", "event.publish"}
    assert {e["actor_email"] for e in mine} == {organizer.email}
    # A LIKE wildcard is a literal character, not "anyone".
    r = await api.client.get("/api/v1/admin/audit", params={"actor": "%"}, headers=admin.headers)
    assert r.json()["items"] == []

    # Pages: one entry each, newest first, down to the last.
    ids: list[int] = []
    before: int | None = None
    while True:
        params = {"actor": needle, "limit": "1", **({"before": before} if before else {})}
        r = await api.client.get("/api/v1/admin/audit", params=params, headers=admin.headers)
        page = r.json()
        ids += [e["audit_id"] for e in page["items"]]
        before = page["next_before"]
        if before is None:
            break
    assert ids == sorted((e["audit_id"] for e in mine), reverse=True)
    # The event's own log, for its organizer, carries the same names.
    r = await api.client.get(f"/api/v1/events/{event['event_id']}/audit", headers=organizer.headers)
    assert {e["event_name"] for e in r.json()["items"]} == {event["name"]}
    r = await api.client.get("/api/v1/admin/audit", headers=organizer.headers)
    assert r.status_code == 403
