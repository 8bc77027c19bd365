"""Each sale phase runs the waiting room by its own settings (real Redis and Postgres):
a presale's admit batch and interval while it is open, its fans ahead of the general
sale's pre-queue, then the general sale's shuffle (seeded by the phase's own seed,
recorded for its proof) and its batch, the event's interval where the phase sets none."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from app.core import keys
from app.core.clock import now_ms
from app.core.resources import Resources
from app.core.settings import Settings
from app.phases import cache, prequeue, room
from tests.support.api import Api, User, bulk_fans
from tests.support.phases import codes, join, phase, window
from waiting_room import admission, fairness
from waiting_room.members import member_of

EVENT_ROOM = {
    "enabled": True,
    "admit_batch_size": 5,
    "admit_interval_s": 10,
    "max_active_shoppers": 100,
    "session_ttl_s": 900,
}


async def _state(api: Api, eid: str, fan: User) -> str:
    r = await api.client.get(f"/api/v1/events/{eid}/queue", headers=fan.headers)
    assert r.status_code == 200, r.text
    state: str = r.json()["state"]
    return state


async def _admitted(resources: Resources, eid: str, fans: list[User]) -> set[str]:
    sessions = await resources.redis.hmget(  # type: ignore[misc]
        keys.queue_sessions(eid), [member_of(f.user_id) for f in fans]
    )
    return {f.user_id for f, s in zip(fans, sessions, strict=True) if s is not None}


async def _line(resources: Resources, eid: str) -> list[str]:
    members: list[Any] = await resources.redis.zrange(keys.queue_line(eid), 0, -1)
    by_member = {member_of(u): u for u in _ALL}
    return [by_member[m] for m in members]


_ALL: list[str] = []


async def test_a_presale_runs_the_room_by_its_settings_then_the_general_sale_by_its_own(
    api: Api, settings: Settings, resources: Resources
) -> None:
    org = await api.user("organizer")
    eid = (await api.event(org, waiting_room=EVENT_ROOM))["event_id"]
    presale = await phase(
        api,
        org,
        eid,
        name="Presale",
        audience="code",
        room={"admit_batch_size": 1, "admit_interval_s": 2},
        **window(-5, 30),
    )
    prequeue_opens = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    general = await phase(
        api,
        org,
        eid,
        name="General",
        audience="everyone",
        room={"mode": "random_at_open", "admit_batch_size": 3, "prequeue_opens_at": prequeue_opens},
        **window(30, 600),
    )
    schedule = await resources.redis.hget(keys.event_meta(eid), "wr_phases")  # type: ignore[misc]
    assert schedule is not None
    assert presale["phase_id"] in schedule
    assert general["phase_id"] in schedule

    fans = await bulk_fans(settings, 9)
    _ALL[:] = [f.user_id for f in fans]
    presale_codes = await codes(api, org, eid, presale["phase_id"], 3)
    # Interleaved: a general-sale fan (in its pre-queue) is first in line.
    presale_fans, general_fans = fans[1:6:2], [fans[0], fans[2], fans[4], *fans[6:]]
    for fan in fans:
        code = presale_codes[presale_fans.index(fan)] if fan in presale_fans else None
        r = await join(api, eid, fan, code)
        assert r.status_code == 201, r.text

    # The presale's batch (1, the event's is 5) and interval (2 s, the event's is 10 s);
    # the general sale's fans keep their places, passed over until it opens.
    t = now_ms()
    first = await admission.tick(resources.scripts, eid, t)
    assert (first.outcome, first.admitted) == ("admitted", 1)
    assert await _admitted(resources, eid, fans) == {presale_fans[0].user_id}
    assert (await admission.tick(resources.scripts, eid, t + 1_000)).outcome == "not_due"
    second = await admission.tick(resources.scripts, eid, t + 2_000)
    assert (second.outcome, second.admitted) == ("admitted", 1)
    third = await admission.tick(resources.scripts, eid, t + 4_000)
    assert (third.outcome, third.admitted) == ("admitted", 1)
    assert await _admitted(resources, eid, fans) == {f.user_id for f in presale_fans}
    idle = await admission.tick(resources.scripts, eid, t + 6_000)
    assert (idle.outcome, idle.admitted, idle.waiting) == ("admitted", 0, 6)
    assert await _line(resources, eid) == [f.user_id for f in general_fans]

    # The general sale opens (the windows move 40 minutes back, as if the time had come).
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            "UPDATE event_phases SET opens_at = opens_at - interval '40 minutes',"
            " closes_at = closes_at - interval '40 minutes' WHERE event_id = $1",
            uuid.UUID(eid),
        )
    finally:
        await conn.close()
    cache.forget(eid)
    await room.sync(resources.pool, resources.redis, eid)
    t += 20_000  # the presale's last tick is well past: its interval does not carry over
    due = await admission.tick(resources.scripts, eid, t)
    assert (due.outcome, due.phase_id) == ("awaiting_shuffle", general["phase_id"])
    assert await _state(api, eid, general_fans[0]) == "prequeue"

    drawn = await prequeue.shuffle(
        resources.pool, resources.redis, resources.scripts, eid, general["phase_id"], t
    )
    assert drawn == len(general_fans)
    listed = (await api.client.get(f"/api/v1/events/{eid}/phases")).json()["items"]
    seed = next(p["seed"] for p in listed if p["phase_id"] == general["phase_id"])
    expected = fairness.draw_order(seed, [f.user_id for f in general_fans])
    assert await _line(resources, eid) == expected
    # Rerun (another worker, a retry): the same order, nothing rescored differently.
    again = await prequeue.shuffle(
        resources.pool, resources.redis, resources.scripts, eid, general["phase_id"], t
    )
    assert again == len(general_fans)
    assert await _line(resources, eid) == expected

    # The proof: the organizer's export recomputes the order from the revealed seed.
    r = await api.client.get(
        f"/api/v1/events/{eid}/phases/{general['phase_id']}/entrants", headers=org.headers
    )
    assert r.status_code == 200, r.text
    proof = r.json()
    assert proof["sealed"] is True
    assert proof["seed"] == seed
    assert fairness.seed_matches(proof["seed"], proof["seed_sha256"])
    entrants = [(e["user_id"], e["arrival"]) for e in proof["entrants"]]
    assert [u for u, _, _ in prequeue.placed(seed, entrants)] == expected

    # The general sale's batch (3); its interval is the event's (10 s).
    opened = await admission.tick(resources.scripts, eid, t + 1)
    assert (opened.outcome, opened.admitted) == ("admitted", 3)
    assert await _admitted(resources, eid, general_fans) == set(expected[:3])
    assert (await admission.tick(resources.scripts, eid, t + 5_000)).outcome == "not_due"
    last = await admission.tick(resources.scripts, eid, t + 10_001)
    assert (last.outcome, last.admitted) == ("admitted", 3)


async def test_a_phases_pre_queue_holds_the_room_until_the_phase_opens(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """The event is on sale, but its only phase opens in ten minutes and its pre-queue is
    open: fans join it, the room says pre-queue, and nobody is admitted before the phase."""
    org = await api.user("organizer")
    eid = (await api.event(org, waiting_room=EVENT_ROOM))["event_id"]
    prequeue_opens = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    await phase(
        api,
        org,
        eid,
        name="General",
        audience="everyone",
        room={"prequeue_opens_at": prequeue_opens},
        **window(10, 600),
    )
    room_snapshot = (await api.client.get(f"/api/v1/events/{eid}/room")).json()
    assert room_snapshot["state"] == "prequeue"
    [fan] = await bulk_fans(settings, 1)
    r = await join(api, eid, fan)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "prequeue"
    tick = await admission.tick(resources.scripts, eid, now_ms())
    assert (tick.outcome, tick.admitted) == ("not_open", 0)
    assert await _state(api, eid, fan) == "prequeue"
