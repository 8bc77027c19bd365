"""Party linking over HTTP (real Redis and Postgres): one place, admitted together, own limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.core import keys
from app.core.clock import now_ms
from app.core.settings import Settings
from tests.support.api import Api, assert_problem, bulk_fans
from tests.support.queue import Admitter, room
from waiting_room.members import member_of
from waiting_room.party import PARTY_MAX_SIZE


@pytest.fixture
async def admitter(settings: Settings) -> AsyncIterator[Admitter]:
    a = Admitter(settings)
    yield a
    await a.close()


def url(event: dict[str, Any], tail: str = "") -> str:
    return f"/api/v1/events/{event['event_id']}/{tail}"


async def test_a_party_keeps_one_place_and_is_admitted_together(
    api: Api, settings: Settings, admitter: Admitter
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, max_per_user=2, waiting_room=room(admit_batch_size=1))
    event_id = event["event_id"]
    first, leader, m1, m2, late, outsider = await bulk_fans(settings, 6)
    for fan in (first, leader, m1, m2):
        assert (await api.client.post(url(event, "queue"), headers=fan.headers)).status_code == 201

    r = await api.client.post(url(event, "party"), headers=leader.headers)
    assert r.status_code == 201, r.text
    party = r.json()
    assert (party["size"], party["leader"], party["max_size"]) == (1, True, PARTY_MAX_SIZE)
    # Creating again returns the same party.
    again = await api.client.post(url(event, "party"), headers=leader.headers)
    assert again.status_code == 200
    assert again.json()["invite_code"] == party["invite_code"]

    code = {"invite_code": party["invite_code"]}
    for fan in (m1, m2):
        r = await api.client.post(url(event, "party/join"), json=code, headers=fan.headers)
        assert r.status_code == 200, r.text
    assert r.json()["size"] == 3
    assert set(r.json()["member_user_ids"]) == {leader.user_id, m1.user_id, m2.user_id}
    assert_problem(
        await api.client.post(
            url(event, "party/join"), json={"invite_code": "x"}, headers=m1.headers
        ),
        404,
        "not_found",
    )

    # One place: the members gave theirs up; the line is `first`, then the party.
    line = await admitter.redis.zrange(keys.queue_line(event_id), 0, -1)
    assert line == [member_of(first.user_id), member_of(leader.user_id)]
    for fan in (leader, m1, m2):
        status = (await api.client.get(url(event, "queue"), headers=fan.headers)).json()
        assert (status["state"], status["position"]) == ("waiting", 2)
        # Joining again keeps the party's place (no place of its own).
        rejoin = await api.client.post(url(event, "queue"), headers=fan.headers)
        assert (rejoin.status_code, rejoin.json()["position"]) == (200, 2)

    t0 = now_ms()
    assert (await admitter.tick(event_id, t0)).admitted == 1  # first
    assert (await admitter.tick(event_id, t0 + 2000)).admitted == 1  # the whole party
    tokens = {}
    for fan in (leader, m1, m2):
        status = (await api.client.get(url(event, "queue"), headers=fan.headers)).json()
        assert status["state"] == "admitted", status
        tokens[fan.user_id] = status["admission_token"]

    # Each account holds with its own token; each account's limit still holds.
    async def hold(fan: Any, quantity: int) -> Any:
        return await api.client.post(
            url(event, "holds"),
            json={"section": "FLOOR", "quantity": quantity},
            headers={**fan.headers, "X-Admission-Token": tokens[fan.user_id]},
        )

    assert (await hold(leader, 2)).status_code == 201
    assert (await hold(m1, 2)).status_code == 201
    assert_problem(await hold(m1, 1), 409, "limit_exceeded")
    assert (await hold(m2, 1)).status_code == 201
    # A token is bound to its account: m2 cannot use m1's.
    r = await api.client.post(
        url(event, "holds"),
        json={"section": "FLOOR", "quantity": 1},
        headers={**m2.headers, "X-Admission-Token": tokens[m1.user_id]},
    )
    assert r.status_code in (401, 403), r.text

    # The party's place is used: nobody joins it now.
    assert (await api.client.post(url(event, "queue"), headers=late.headers)).status_code == 201
    assert_problem(
        await api.client.post(url(event, "party/join"), json=code, headers=late.headers),
        409,
        "party_unavailable",
    )
    assert_problem(
        await api.client.get(url(event, "party"), headers=outsider.headers), 404, "not_found"
    )


async def test_a_party_is_capped_and_members_may_leave(api: Api, settings: Settings) -> None:
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room())
    fans = await bulk_fans(settings, PARTY_MAX_SIZE + 1)
    leader, *rest = fans
    assert_problem(
        await api.client.post(url(event, "party"), headers=leader.headers), 409, "party_unavailable"
    )
    await api.client.post(url(event, "queue"), headers=leader.headers)
    code = {
        "invite_code": (await api.client.post(url(event, "party"), headers=leader.headers)).json()[
            "invite_code"
        ]
    }
    for fan in rest[: PARTY_MAX_SIZE - 1]:
        r = await api.client.post(url(event, "party/join"), json=code, headers=fan.headers)
        assert r.status_code == 200, r.text
    extra = rest[-1]
    assert_problem(
        await api.client.post(url(event, "party/join"), json=code, headers=extra.headers),
        409,
        "party_unavailable",
    )
    # A member leaves: a free slot, and the member has no place any more.
    leaving = rest[0]
    assert (
        await api.client.delete(url(event, "party"), headers=leaving.headers)
    ).status_code == 204
    assert (await api.client.get(url(event, "queue"), headers=leaving.headers)).status_code == 404
    r = await api.client.post(url(event, "party/join"), json=code, headers=extra.headers)
    assert (r.status_code, r.json()["size"]) == (200, PARTY_MAX_SIZE)
    # The leader leaving the queue dissolves the party.
    assert (await api.client.delete(url(event, "queue"), headers=leader.headers)).status_code == 204
    assert (await api.client.get(url(event, "party"), headers=extra.headers)).status_code == 404
    assert (await api.client.get(url(event, "queue"), headers=extra.headers)).status_code == 404
