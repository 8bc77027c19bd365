"""Organizations against real Redis, Postgres, localstripe and an SMTP server: invitations by
email in the invitee's language, each role allowed and refused on each organizer route, two
organizations that see nothing of each other, the last owner, the organization's audit log,
and the migration that gave every organizer an organization of its own."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import msgspec
import pytest

from app.core import i18n
from app.core.db import with_database
from app.core.ids import new_id
from app.core.migrate import migrate
from app.core.security import hash_password
from app.core.settings import Settings
from app.orgs import invitations
from devtools.mailsink import MailSink, text_of
from tests.support import checkout as h
from tests.support.api import PASSWORD, Api, User, assert_problem, event_body
from tests.support.notify import Worker
from tests.support.roles import ROLES, promised
from tests.support.tickets import buy, live_code

LINK = re.compile(r"(https?://\S+/console/invitations\?token=\S+)")


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    server = MailSink(tmp_path / "mail")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(settings: Settings, stripe_base: str, sink: MailSink) -> Settings:
    return msgspec.structs.replace(
        h.with_stripe(settings, stripe_base),
        smtp_url=sink.url,
        notify_backoff_s=0.05,
        public_url="https://tickets.example.org",
    )


@pytest.fixture
async def worker(resources: Any) -> AsyncIterator[Worker]:
    w = Worker(resources)
    yield w
    await w.close()


async def org_of(api: Api, user: User) -> str:
    r = await api.client.get("/api/v1/orgs", headers=user.headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 1, items
    org_id: str = items[0]["org_id"]
    return org_id


async def member(api: Api, settings: Settings, owner: User, org_id: str, role: str) -> User:
    """A new account that joined the organization with `role` through an invitation (the
    token is the one the invitation email carries)."""
    person = await api.user("fan")
    r = await api.client.post(
        f"/api/v1/orgs/{org_id}/invitations",
        json={"email": person.email, "role": role},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    token = invitations.token(settings.secret_key, r.json()["invitation_id"], person.email)
    r = await api.client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=person.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["role"] == role
    return person


async def test_an_invitation_by_email_in_the_invitees_language_joins_with_its_role(
    api: Api, settings: Settings, worker: Worker, sink: MailSink
) -> None:
    owner = await api.user("organizer")
    await api.event(owner)
    org_id = await org_of(api, owner)
    email = f"box-{uuid.uuid4().hex[:8]}@example.com"  # no account yet

    r = await api.client.post(
        f"/api/v1/orgs/{org_id}/invitations",
        json={"email": email, "role": "box_office", "locale": "de"},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "box_office"
    await worker.drain(3)
    [message] = [m.message for m in sink.messages() if m.message["To"] == email]
    org_name = (await api.client.get(f"/api/v1/orgs/{org_id}/team", headers=owner.headers)).json()[
        "name"
    ]
    assert i18n.translated("de", "Join {org} on Onsale")
    assert message["Subject"] == i18n.render("de", "Join {org} on Onsale", {"org": org_name})
    assert i18n.render("de", "box office", None) in text_of(message)
    [link] = LINK.findall(text_of(message))
    url = urlsplit(link)
    assert (url.netloc, url.path) == ("tickets.example.org", "/console/invitations")
    token = parse_qs(url.query)["token"][0]

    # Only the invited address joins with it; the link works once.
    stranger = await api.user("fan")
    assert_problem(
        await api.client.post(
            "/api/v1/invitations/accept", json={"token": token}, headers=stranger.headers
        ),
        403,
        "invitation_other_address",
    )
    invitee = await api.user("fan", email=email)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert_problem(
        await api.client.post(
            "/api/v1/invitations/accept", json={"token": forged}, headers=invitee.headers
        ),
        400,
        "invitation_invalid",
    )
    r = await api.client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=invitee.headers
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"org_id": org_id, "name": org_name, "role": "box_office"}
    assert_problem(
        await api.client.post(
            "/api/v1/invitations/accept", json={"token": token}, headers=invitee.headers
        ),
        400,
        "invitation_invalid",
    )
    mine = (await api.client.get("/api/v1/orgs", headers=invitee.headers)).json()["items"]
    assert [(o["org_id"], o["role"], o["can"]) for o in mine] == [
        (org_id, "box_office", ["read", "refund"])
    ]
    team = (await api.client.get(f"/api/v1/orgs/{org_id}/team", headers=owner.headers)).json()
    assert {(m["email"], m["role"]) for m in team["members"]} == {
        (owner.email, "owner"),
        (email, "box_office"),
    }
    assert team["invitations"] == []
    # The organization's log tells who invited whom and who joined.
    log = (await api.client.get(f"/api/v1/orgs/{org_id}/audit", headers=owner.headers)).json()
    actions = [e["action"] for e in log["items"]]
    assert actions[:2] == ["org.invite_accept", "org.invite"]
    assert "event.create" in actions


# (method, path, body, need): every organizer route of one event, its order and its org.
ROUTES: list[tuple[str, str, Any, str | None]] = [
    ("GET", "/api/v1/events/{event}/stats", None, "read"),
    ("GET", "/api/v1/events/{event}/live", None, "read"),
    ("GET", "/api/v1/events/{event}/orders", None, "read"),
    ("GET", "/api/v1/events/{event}/audit", None, "read"),
    ("GET", "/api/v1/events/{event}/reports/sales", None, "read"),
    ("GET", "/api/v1/events/{event}/reports/funnel", None, "read"),
    ("GET", "/api/v1/events/{event}/reports/occupancy", None, "read"),
    ("GET", "/api/v1/events/{event}/moves", None, "read"),
    ("GET", "/api/v1/events/{event}/admission", None, "read"),
    ("GET", "/api/v1/events/{event}/checkin-conflicts", None, "read"),
    ("GET", "/api/v1/events/{event}/scanners", None, "read"),
    ("GET", "/api/v1/manage/orders?event_id={event}", None, "read"),
    ("GET", "/api/v1/orders/{order}", None, "read"),
    ("GET", "/api/v1/orgs/{org}/audit", None, "read"),
    ("PATCH", "/api/v1/events/{event}", {"venue": "Other Hall"}, "edit"),
    ("POST", "/api/v1/events/{event}/sections/FLOOR/capacity", {"delta": 1}, "edit"),
    ("POST", "/api/v1/events/{event}/duplicate", {"name": "Copy"}, "edit"),
    ("PUT", "/api/v1/events/{event}/move-rules", {"cancel_enabled": False}, "edit"),
    ("POST", "/api/v1/events/{event}/checkin-lists", {"name": "Side door"}, "edit"),
    ("POST", "/api/v1/orders/{order}/refund", {"reason": "asked"}, "refund"),
    ("POST", "/api/v1/checkins", "{code}", "scan"),
    ("GET", "/api/v1/events/{event}/checkin-lists", None, "scan"),
    ("GET", "/api/v1/orgs/{org}/team", None, None),
    (
        "POST",
        "/api/v1/orgs/{org}/invitations",
        {"email": "x@example.com", "role": "viewer"},
        "members",
    ),
]


async def test_each_role_is_allowed_and_refused_on_each_route(
    api: Api, settings: Settings, resources: Any
) -> None:
    owner = await api.user("organizer")
    event = await api.event(owner)
    org_id = await org_of(api, owner)
    fan, order = await buy(api, settings, resources, event["event_id"])
    code = live_code(order["tickets"][0])
    people = {role: await member(api, settings, owner, org_id, role) for role in ROLES}
    outsider = await api.user("organizer")  # an organizer of another organization
    await api.event(outsider)
    ids = {"event": event["event_id"], "order": order["order_id"], "org": org_id}
    seen: dict[tuple[str, str], int] = {}
    for method, path, body, need in ROUTES:
        url = path.format(**ids)
        payload = {"code": code} if body == "{code}" else body
        for role, person in [*people.items(), ("outsider", outsider), ("fan", fan)]:
            r = await api.client.request(method, url, json=payload, headers=person.headers)
            seen[(url, role)] = r.status_code
            if role == "outsider":
                # Another organization's ids do not exist for it; the door refuses it (a
                # scanner may be granted an event of another organization by its email).
                expected = 403 if need == "scan" else 404
                assert r.status_code == expected, (method, url, role, r.text)
            elif role == "fan":
                if url.startswith("/api/v1/orders/") and method == "GET":
                    assert r.status_code == 200, (url, r.text)  # the buyer's own order
                elif url.startswith("/api/v1/orgs/"):
                    assert r.status_code == 404, (url, r.text)
                else:
                    assert r.status_code == 403, (method, url, role, r.text)
            elif promised(role, need):
                assert r.status_code < 300, (method, url, role, r.text)
            else:
                problem = assert_problem(r, 403, "forbidden")
                assert problem["detail"], (method, url, role)
    # Every role was refused somewhere and allowed somewhere: the matrix has teeth.
    for role in ROLES:
        codes = {seen[(path.format(**ids), role)] for _, path, _, _ in ROUTES}
        assert any(c < 300 for c in codes), role
        if role != "owner":
            assert 403 in codes, role


async def test_two_organizations_see_nothing_of_each_other(
    api: Api, settings: Settings, resources: Any
) -> None:
    a = await api.user("organizer")
    b = await api.user("organizer")
    a_draft = await api.event(a, publish=False, name="A draft")
    b_draft = await api.event(b, publish=False, name="B draft")
    b_live = await api.event(b, name="B live")
    a_org, b_org = await org_of(api, a), await org_of(api, b)
    a_viewer = await member(api, settings, a, a_org, "viewer")
    _, b_order = await buy(api, settings, resources, b_live["event_id"])

    for who in (a, a_viewer):
        # Lists: A's own drafts, public events, never B's drafts.
        r = await api.client.get("/api/v1/events", headers=who.headers)
        ids = {e["event_id"] for e in r.json()["items"]}
        assert a_draft["event_id"] in ids
        assert b_draft["event_id"] not in ids
        r = await api.client.get(
            "/api/v1/events", params={"org_id": a_org, "status": "published"}, headers=who.headers
        )
        assert b_live["event_id"] not in {e["event_id"] for e in r.json()["items"]}
        r = await api.client.get("/api/v1/manage/orders", headers=who.headers)
        assert r.status_code == 200, r.text
        assert b_order["order_id"] not in {o["order_id"] for o in r.json()["items"]}
        for path in (
            f"/api/v1/events/{b_draft['event_id']}",
            f"/api/v1/events/{b_live['event_id']}/stats",
            f"/api/v1/events/{b_live['event_id']}/orders",
            f"/api/v1/events/{b_live['event_id']}/audit",
            f"/api/v1/orders/{b_order['order_id']}",
            f"/api/v1/orgs/{b_org}/team",
            f"/api/v1/orgs/{b_org}/audit",
        ):
            assert_problem(await api.client.get(path, headers=who.headers), 404, "not_found")
    assert_problem(
        await api.client.post(
            f"/api/v1/orgs/{b_org}/invitations",
            json={"email": a.email, "role": "owner"},
            headers=a.headers,
        ),
        404,
        "not_found",
    )
    # An event cannot be created into B's organization by A.
    r = await api.client.post(
        "/api/v1/events", json={**event_body(), "org_id": b_org}, headers=a.headers
    )
    assert_problem(r, 404, "not_found")
    # A's log holds nothing of B.
    log = (await api.client.get(f"/api/v1/orgs/{a_org}/audit", headers=a.headers)).json()
    b_events = {b_draft["event_id"], b_live["event_id"]}
    assert log["items"]
    assert not [e for e in log["items"] if e["event_id"] in b_events]


async def test_the_last_owner_stays_and_only_owners_change_the_team(
    api: Api, settings: Settings
) -> None:
    owner = await api.user("organizer")
    await api.event(owner, publish=False)
    org_id = await org_of(api, owner)
    manager = await member(api, settings, owner, org_id, "manager")
    members = f"/api/v1/orgs/{org_id}/members"
    assert_problem(
        await api.client.patch(
            f"{members}/{owner.user_id}", json={"role": "viewer"}, headers=owner.headers
        ),
        409,
        "last_owner",
    )
    assert_problem(
        await api.client.delete(f"{members}/{owner.user_id}", headers=owner.headers),
        409,
        "last_owner",
    )
    # A manager runs events but not the team.
    for r in (
        await api.client.patch(
            f"{members}/{manager.user_id}", json={"role": "owner"}, headers=manager.headers
        ),
        await api.client.delete(f"{members}/{owner.user_id}", headers=manager.headers),
        await api.client.post(
            f"/api/v1/orgs/{org_id}/invitations",
            json={"email": "new@example.com", "role": "viewer"},
            headers=manager.headers,
        ),
    ):
        assert_problem(r, 403, "forbidden")
    # A manager creates events in the organization without the organizer role.
    r = await api.client.post(
        "/api/v1/events", json={**event_body(), "org_id": org_id}, headers=manager.headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["org_id"] == org_id
    # A second owner: now the first may step down, and a removed member loses access.
    r = await api.client.patch(
        f"{members}/{manager.user_id}", json={"role": "owner"}, headers=owner.headers
    )
    assert r.status_code == 200, r.text
    r = await api.client.patch(
        f"{members}/{owner.user_id}", json={"role": "viewer"}, headers=manager.headers
    )
    assert r.status_code == 200, r.text
    assert {(m["user_id"], m["role"]) for m in r.json()["members"]} == {
        (owner.user_id, "viewer"),
        (manager.user_id, "owner"),
    }
    r = await api.client.get("/api/v1/events", params={"org_id": org_id}, headers=owner.headers)
    event_id = r.json()["items"][0]["event_id"]
    r = await api.client.get(f"/api/v1/events/{event_id}/stats", headers=owner.headers)
    assert r.status_code == 200, r.text  # a viewer reads
    r = await api.client.delete(f"{members}/{owner.user_id}", headers=manager.headers)
    assert r.status_code == 204, r.text
    assert_problem(
        await api.client.get(f"/api/v1/events/{event_id}/stats", headers=owner.headers),
        404,
        "not_found",
    )
    # An invitation to a member's address is refused; a withdrawn one cannot be accepted.
    assert_problem(
        await api.client.post(
            f"/api/v1/orgs/{org_id}/invitations",
            json={"email": manager.email, "role": "viewer"},
            headers=manager.headers,
        ),
        409,
        "already_member",
    )
    late = await api.user("fan")
    r = await api.client.post(
        f"/api/v1/orgs/{org_id}/invitations",
        json={"email": late.email, "role": "viewer"},
        headers=manager.headers,
    )
    invitation_id = r.json()["invitation_id"]
    r = await api.client.delete(
        f"/api/v1/orgs/{org_id}/invitations/{invitation_id}", headers=manager.headers
    )
    assert r.status_code == 204, r.text
    token = invitations.token(settings.secret_key, invitation_id, late.email)
    assert_problem(
        await api.client.post(
            "/api/v1/invitations/accept", json={"token": token}, headers=late.headers
        ),
        400,
        "invitation_invalid",
    )


async def test_every_organizer_got_an_organization_of_its_own_with_its_events(
    settings: Settings, postgres_server_url: str
) -> None:
    name = f"onsale_o_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(postgres_server_url, name)
    try:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn, until=15)
            organizer, fan = uuid.UUID(new_id()), uuid.UUID(new_id())
            await conn.executemany(
                "INSERT INTO users (user_id, email, password_hash, name) VALUES ($1, $2, $3, $4)",
                [
                    (
                        organizer,
                        f"o-{organizer.hex[:8]}@example.com",
                        hash_password(PASSWORD),
                        "Hall",
                    ),
                    (fan, f"f-{fan.hex[:8]}@example.com", hash_password(PASSWORD), ""),
                ],
            )
            await conn.execute(
                "INSERT INTO user_roles (user_id, role) VALUES ($1, 'organizer')", organizer
            )
            now = datetime.now(UTC)
            event_id = uuid.UUID(new_id())
            await conn.execute(
                "INSERT INTO events (event_id, organizer_id, name, venue, starts_at, timezone,"
                " onsale_at, offsale_at, currency, hold_ttl_s, max_per_order, max_per_user,"
                " waiting_room, fairness_seed, fairness_seed_sha256)"
                " VALUES ($1, $2, 'Old', 'Hall', $3, 'UTC', $4, $5, 'EUR', 600, 6, 6, '{}',"
                " 's', 'h')",
                event_id, organizer, now + timedelta(days=9), now, now + timedelta(days=8),
            )  # fmt: skip
            await migrate(conn)
            rows = await conn.fetch(
                "SELECT o.org_id, o.name, m.user_id, m.role FROM organizations o"
                " JOIN organization_members m ON m.org_id = o.org_id"
            )
            assert [(r["name"], r["user_id"], r["role"]) for r in rows] == [
                ("Hall", organizer, "owner")
            ]
            assert (
                await conn.fetchval("SELECT org_id FROM events WHERE event_id = $1", event_id)
                == rows[0]["org_id"]
            )
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
