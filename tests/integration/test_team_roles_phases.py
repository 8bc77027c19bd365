"""Team roles on the routes of sale phases, seat maps and an event's webhooks, against real
Redis and Postgres: each role of the event's organization allowed or refused (403) on each
route by what each role is promised (tests/support/roles.py), another organization's
organizer answered 404, a fan 403. These routes once asked for the organizer role of the
account itself, which shut a manager out of the phases of the events it runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from app.core.settings import Settings
from tests.integration.test_orgs import member, org_of
from tests.support.api import Api, User, assert_problem
from tests.support.roles import ROLES, promised

MAP = "section,row,seat,category,x,y,accessible\n" + "".join(
    f"FLOOR,A,{n},front,{n * 20},20,false\n" for n in range(1, 9)
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, webhook_allow_private=True)


def window(days: int) -> dict[str, str]:
    start = datetime.now(UTC) + timedelta(days=days)
    return {
        "opens_at": start.isoformat(),
        "closes_at": (start + timedelta(hours=1)).isoformat(),
    }


async def phase(api: Api, owner: User, ev: str, audience: str, days: int) -> str:
    r = await api.client.post(
        f"/api/v1/events/{ev}/phases",
        json={"name": f"{audience} {days}", "audience": audience, **window(days)},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    phase_id: str = r.json()["phase_id"]
    return phase_id


async def webhook(api: Api, owner: User, ev: str) -> str:
    r = await api.client.post(
        f"/api/v1/events/{ev}/webhooks",
        json={"url": "https://hooks.example.com/onsale", "topics": ["order.confirmed"]},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    webhook_id: str = r.json()["webhook_id"]
    return webhook_id


# A route: (method, path, body, need, strict). {event}, {draw}, {code}, {list} and {hook}
# name the fixtures' ids, {fresh_phase} and {fresh_hook} a new one made by the owner for this
# very call (deletes). `strict`: an allowed role gets a 2xx; otherwise only no 403 and no 404
# of an outsider (a draw before its deadline is a 409 for every role that may run it).
Body = Any | Callable[[int], Any]
ROUTES: list[tuple[str, str, Body, str, bool]] = [
    ("GET", "/api/v1/events/{event}/phases/{draw}/entrants", None, "read", True),
    ("GET", "/api/v1/events/{event}/sections/FLOOR/seatmap?format=csv", None, "read", True),
    ("GET", "/api/v1/events/{event}/webhooks", None, "read", True),
    ("GET", "/api/v1/events/{event}/webhooks/{hook}/deliveries", None, "read", True),
    (
        "POST",
        "/api/v1/events/{event}/phases",
        lambda n: {"name": f"Presale {n}", "audience": "code", **window(30 + n)},
        "edit",
        True,
    ),
    ("DELETE", "/api/v1/events/{event}/phases/{fresh_phase}", None, "edit", True),
    ("GET", "/api/v1/events/{event}/phases/{code}/codes", None, "edit", True),
    ("POST", "/api/v1/events/{event}/phases/{code}/codes", {"count": 1}, "edit", True),
    (
        "POST",
        "/api/v1/events/{event}/phases/{code}/codes/import",
        lambda n: {"codes": [f"TEAMCODE{n:04d}"]},
        "edit",
        True,
    ),
    (
        "PUT",
        "/api/v1/events/{event}/phases/{list}/members",
        {"emails": ["listed@example.com"]},
        "edit",
        True,
    ),
    ("POST", "/api/v1/events/{event}/phases/{draw}/draw", None, "edit", False),
    ("POST", "/api/v1/events/{event}/phases/{draw}/draw/refill", None, "edit", False),
    ("PUT", "/api/v1/events/{event}/sections/FLOOR/seatmap", "{map}", "edit", True),
    ("POST", "/api/v1/events/{event}/sections/FLOOR/seats/block", {"seats": ["A-1"]}, "edit", True),
    (
        "POST",
        "/api/v1/events/{event}/sections/FLOOR/seats/unblock",
        {"seats": ["A-1"]},
        "edit",
        True,
    ),
    (
        "POST",
        "/api/v1/events/{event}/webhooks",
        {"url": "https://hooks.example.com/team", "topics": ["order.confirmed"]},
        "edit",
        True,
    ),
    ("DELETE", "/api/v1/events/{event}/webhooks/{fresh_hook}", None, "edit", True),
    (
        "POST",
        "/api/v1/events/{event}/webhooks/{hook}/deliveries/1/replay",
        None,
        "edit",
        False,
    ),
]

# A 404 that says the caller is outside the event's organization.
OUTSIDER_404 = {"Event not found"}


async def test_each_role_is_allowed_and_refused_on_phases_seat_maps_and_webhooks(
    api: Api, settings: Settings
) -> None:
    owner = await api.user("organizer")
    event = await api.event(owner, publish=False)
    ev = event["event_id"]
    r = await api.client.put(
        f"/api/v1/events/{ev}/sections/FLOOR/seatmap",
        content=MAP,
        headers={**owner.headers, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    org_id = await org_of(api, owner)
    ids = {
        "event": ev,
        "draw": await phase(api, owner, ev, "draw", 2),
        "code": await phase(api, owner, ev, "code", 3),
        "list": await phase(api, owner, ev, "list", 4),
        "hook": await webhook(api, owner, ev),
    }
    people = {role: await member(api, settings, owner, org_id, role) for role in ROLES}
    outsider = await api.user("organizer")  # an organizer of another organization
    await api.event(outsider)
    fan = await api.user("fan")
    calls = 0
    seen: dict[tuple[str, str, str], int] = {}
    for method, path, body, need, strict in ROUTES:
        for role, person in [*people.items(), ("outsider", outsider), ("fan", fan)]:
            calls += 1
            values = dict(ids)
            if "{fresh_phase}" in path:
                values["fresh_phase"] = await phase(api, owner, ev, "list", 100 + calls)
            if "{fresh_hook}" in path:
                values["fresh_hook"] = await webhook(api, owner, ev)
            url = path.format(**values)
            payload = body(calls) if callable(body) else body
            if payload == "{map}":
                r = await api.client.request(
                    method,
                    url,
                    content=MAP,
                    headers={**person.headers, "Content-Type": "text/csv"},
                )
            else:
                r = await api.client.request(method, url, json=payload, headers=person.headers)
            seen[(method, path, role)] = r.status_code
            where = (method, path, role, r.status_code, r.text[:300])
            if role == "outsider":
                problem = assert_problem(r, 404, "not_found")
                assert problem["detail"] in OUTSIDER_404, where
            elif role == "fan":
                assert_problem(r, 403, "forbidden")
            elif promised(role, need):
                if strict:
                    assert r.status_code < 300, where
                else:
                    assert r.status_code != 403, where
                    assert r.status_code != 404 or r.json().get("detail") not in OUTSIDER_404
            else:
                problem = assert_problem(r, 403, "forbidden")
                assert problem["detail"], where
    # The matrix has teeth: a viewer reads here and changes nothing; a scanner does neither.
    assert all(seen[(m, p, "viewer")] < 300 for m, p, _, n, _ in ROUTES if n == "read")
    assert all(seen[(m, p, "viewer")] == 403 for m, p, _, n, _ in ROUTES if n == "edit")
    assert all(seen[(m, p, "scanner")] == 403 for m, p, _, _, _ in ROUTES)
    assert all(seen[(m, p, "manager")] != 403 for m, p, _, _, _ in ROUTES)


async def test_a_viewer_sees_each_phases_figures_and_a_fan_does_not(
    api: Api, settings: Settings
) -> None:
    owner = await api.user("organizer")
    event = await api.event(owner)
    ev = event["event_id"]
    await phase(api, owner, ev, "code", 2)
    viewer = await member(api, settings, owner, await org_of(api, owner), "viewer")
    fan = await api.user("fan")
    r = await api.client.get(f"/api/v1/events/{ev}/phases", headers=viewer.headers)
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["figures"] is not None
    r = await api.client.get(f"/api/v1/events/{ev}/phases", headers=fan.headers)
    assert r.json()["items"][0].get("figures") is None
