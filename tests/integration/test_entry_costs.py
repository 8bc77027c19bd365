"""Every way into an event's line costs each account a proof of work and counts against a
per-account rate limit: queue join, party create, party join, waiting list (security round 2,
finding 6)."""

from __future__ import annotations

import uuid

from app.core import pow
from app.core.settings import Settings
from tests.support.api import Api, User, assert_problem, bulk_fans
from tests.support.queue import room


async def _solution(api: Api, event_id: str, fan: User) -> dict[str, str]:
    r = await api.client.get(f"/api/v1/events/{event_id}/queue/challenge", headers=fan.headers)
    assert r.status_code == 200, r.text
    challenge = r.json()
    nonce = pow.solve(challenge["challenge"], challenge["difficulty"])
    return {"X-PoW-Challenge": challenge["challenge"], "X-PoW-Nonce": nonce}


async def test_party_members_and_the_waiting_list_each_pay_a_proof_of_work(
    api: Api, settings: Settings
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room(admit_batch_size=1))
    ev = event["event_id"]
    r = await api.client.post(
        f"/api/v1/events/{ev}/queue/pow", json={"difficulty": 8}, headers=org.headers
    )
    assert r.status_code == 200, r.text
    leader, friend = await bulk_fans(settings, 2)
    leader_pays = await _solution(api, ev, leader)
    r = await api.client.post(
        f"/api/v1/events/{ev}/queue", headers={**leader.headers, **leader_pays}
    )
    assert r.status_code == 201, r.text

    party = f"/api/v1/events/{ev}/party"
    assert_problem(await api.client.post(party, headers=leader.headers), 403, "pow_required")
    r = await api.client.post(party, headers={**leader.headers, **leader_pays})
    assert r.status_code == 201, r.text
    invite = {"invite_code": r.json()["invite_code"]}

    # The friend joins with no solve, or with the leader's: refused.
    r = await api.client.post(f"{party}/join", json=invite, headers=friend.headers)
    assert_problem(r, 403, "pow_required")
    r = await api.client.post(
        f"{party}/join", json=invite, headers={**friend.headers, **leader_pays}
    )
    assert_problem(r, 403, "pow_required")
    friend_pays = await _solution(api, ev, friend)
    r = await api.client.post(
        f"{party}/join", json=invite, headers={**friend.headers, **friend_pays}
    )
    assert r.status_code == 200, r.text
    assert r.json()["size"] == 2

    waitlist = f"/api/v1/events/{ev}/waitlist"
    body = {"section": "FLOOR", "quantity": 1}
    r = await api.client.post(waitlist, json=body, headers=friend.headers)
    assert_problem(r, 403, "pow_required")
    r = await api.client.post(waitlist, json=body, headers={**friend.headers, **friend_pays})
    assert r.status_code != 403, r.text


async def test_party_and_waiting_list_are_rate_limited_per_account(api: Api) -> None:
    fan = await api.user()
    ev = uuid.uuid4()  # no such event: each attempt still counts
    for path, body in (
        (f"/api/v1/events/{ev}/party/join", {"invite_code": "nope"}),
        (f"/api/v1/events/{ev}/waitlist", {"section": "FLOOR", "quantity": 1}),
    ):
        codes = [
            (await api.client.post(path, json=body, headers=fan.headers)).status_code
            for _ in range(31)
        ]
        assert codes[:30] == [404] * 30, (path, codes)
        r = await api.client.post(path, json=body, headers=fan.headers)
        body_ = assert_problem(r, 429, "rate_limited")
        assert body_["status"] == 429
        assert int(r.headers["retry-after"]) >= 1
