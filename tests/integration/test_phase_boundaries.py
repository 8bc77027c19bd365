"""A sale phase's edges in the waiting room, against real Redis and Postgres: a fan waiting for
a phase that has not opened is in its pre-queue (with its opening time), a fan left in line
when its phase closes is not admitted with that phase's token but told the phase ended and
may join the next phase its audience allows, and joins racing a phase's opening and closing
place each fan once, in a phase whose audience takes it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core import keys
from app.core.clock import now_ms, to_epoch_ms
from app.core.resources import Resources
from app.core.settings import Settings
from tests.support.api import Api, User, bulk_fans
from tests.support.phases import codes, join, move_phases, phase, verify_emails, window
from waiting_room import admission, tokens
from waiting_room.members import member_of
from waiting_room.scripts import Join, queue_scripts

EVENT_ROOM = {
    "enabled": True,
    "admit_batch_size": 5,
    "admit_interval_s": 10,
    "max_active_shoppers": 100,
    "session_ttl_s": 900,
}
# The windows move this far back: the presale (-5 .. 30 min) closes, the general sale opens.
BACK = "UPDATE event_phases SET opens_at = opens_at - interval '40 minutes', closes_at = closes_at - interval '40 minutes' WHERE event_id = $1"  # noqa: E501


async def status(api: Api, eid: str, fan: User) -> dict[str, Any]:
    r = await api.client.get(f"/api/v1/events/{eid}/queue", headers=fan.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def sessions_of(resources: Resources, eid: str, fans: list[User]) -> set[str]:
    raw = await resources.redis.hmget(  # type: ignore[misc]
        keys.queue_sessions(eid), [member_of(f.user_id) for f in fans]
    )
    return {f.user_id for f, s in zip(fans, raw, strict=True) if s is not None}


async def in_line(resources: Resources, eid: str, fan: User) -> bool:
    member = member_of(fan.user_id)
    return (
        await resources.redis.zscore(keys.queue_line(eid), member) is not None
        or await resources.redis.zscore(keys.queue_comeback(eid), member) is not None
    )


async def test_a_fan_left_in_line_when_its_phase_closes_is_told_and_joins_the_next(
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
        room={"admit_batch_size": 1},
        **window(-5, 30),
    )
    prequeue_opens = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    general = await phase(
        api,
        org,
        eid,
        name="General",
        audience="everyone",
        room={"prequeue_opens_at": prequeue_opens},
        **window(30, 600),
    )
    a, b, c, g = await bulk_fans(settings, 4)
    presale_codes = await codes(api, org, eid, presale["phase_id"], 3)
    for fan, code in zip((a, b, c), presale_codes, strict=True):
        r = await join(api, eid, fan, code)
        assert r.status_code == 201, r.text
        assert r.json()["state"] == "waiting"

    # A general-sale fan who joins while the presale sells is in the general sale's
    # pre-queue, told when it opens (not "waiting" in a line it cannot leave yet).
    r = await join(api, eid, g)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "prequeue"
    opens = datetime.fromisoformat(general["opens_at"])
    assert abs(datetime.fromisoformat(r.json()["opens_at"]) - opens) < timedelta(milliseconds=1)
    assert (await status(api, eid, g))["state"] == "prequeue"

    first = await admission.tick(resources.scripts, eid, now_ms())
    assert (first.outcome, first.admitted) == ("admitted", 1)
    assert await sessions_of(resources, eid, [a, b, c, g]) == {a.user_id}

    # The presale closes and the general sale opens with b and c still in line.
    await move_phases(settings.database_url, settings.redis_url, eid, BACK, uuid.UUID(eid))
    # b polls first: the status script gives up its place and says why.
    told = await status(api, eid, b)
    assert told["state"] == "phase_ended", told
    assert "admission_token" not in told
    assert not await in_line(resources, eid, b)
    # c never polls: the tick passes it over, and admits the general sale's fan.
    tick = await admission.tick(resources.scripts, eid, now_ms() + 20_000)
    assert tick.outcome == "admitted"
    assert await sessions_of(resources, eid, [a, b, c, g]) == {a.user_id, g.user_id}
    assert not await in_line(resources, eid, c)
    assert (await status(api, eid, c))["state"] == "phase_ended"
    token = (await status(api, eid, g))["admission_token"]
    admission_g = tokens.verify(settings.secret_key, token, event_id=eid, user_id=g.user_id)
    assert admission_g.phase_id == general["phase_id"]

    # b asks to join the next phase (everyone's): a new place, in the general sale.
    r = await join(api, eid, b)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "waiting"
    joins = await resources.redis.hgetall(keys.phase_joins(eid))  # type: ignore[misc]
    assert {k: int(v) for k, v in joins.items()} == {
        presale["phase_id"]: 3,
        general["phase_id"]: 2,
    }
    await admission.tick(resources.scripts, eid, now_ms() + 40_000)
    token = (await status(api, eid, b))["admission_token"]
    admission_b = tokens.verify(settings.secret_key, token, event_id=eid, user_id=b.user_id)
    assert (admission_b.phase_id, admission_b.sections) == (general["phase_id"], ())
    # a, admitted in the presale before it closed, keeps its session.
    assert (await status(api, eid, a))["state"] == "admitted"


async def test_a_fan_outside_the_next_phases_audience_stays_out(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """A presale fan whose phase closed, when the next phase needs a code it lacks: told the
    phase ended, then refused at the door (not placed with the closed phase's token)."""
    org = await api.user("organizer")
    eid = (await api.event(org, waiting_room=EVENT_ROOM))["event_id"]
    presale = await phase(api, org, eid, name="Presale", audience="code", **window(-5, 30))
    await phase(api, org, eid, name="Fan club", audience="code", **window(30, 600))
    [fan] = await bulk_fans(settings, 1)
    [code] = await codes(api, org, eid, presale["phase_id"], 1)
    assert (await join(api, eid, fan, code)).status_code == 201
    await move_phases(settings.database_url, settings.redis_url, eid, BACK, uuid.UUID(eid))
    assert (await status(api, eid, fan))["state"] == "phase_ended"
    r = await join(api, eid, fan)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "code_required"
    assert not await in_line(resources, eid, fan)


async def test_the_join_script_refuses_a_phase_that_closed_after_the_door_chose_it(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """The door (app.phases.gate) chose the presale by its own clock; the presale closed
    before the join script ran: no place, no count, and nothing recorded for the fan."""
    org = await api.user("organizer")
    eid = (await api.event(org, waiting_room=EVENT_ROOM))["event_id"]
    presale = await phase(api, org, eid, name="Presale", audience="list", **window(-5, 30))
    general = await phase(api, org, eid, name="General", audience="everyone", **window(30, 600))
    closes = to_epoch_ms(datetime.fromisoformat(presale["closes_at"]))
    opens = to_epoch_ms(datetime.fromisoformat(general["opens_at"]))
    assert opens >= closes
    q = queue_scripts(resources.scripts)
    member = member_of(str(uuid.uuid4()))
    assert await q.join(eid, member, closes, phase_id=presale["phase_id"]) is Join.PHASE_NOT_OPEN
    assert await q.join(eid, member, opens - 1, phase_id=general["phase_id"]) is (
        Join.PHASE_NOT_OPEN
    )
    assert await resources.redis.zscore(keys.queue_line(eid), member) is None
    assert await resources.redis.hget(keys.phase_of(eid), member) is None  # type: ignore[misc]
    assert await resources.redis.hgetall(keys.phase_joins(eid)) == {}  # type: ignore[misc]
    assert await q.join(eid, member, opens, phase_id=general["phase_id"]) is Join.CREATED
    assert await q.join(eid, member, opens, phase_id=general["phase_id"]) is Join.ALREADY
    assert await resources.redis.hgetall(keys.phase_joins(eid)) == {  # type: ignore[misc]
        general["phase_id"]: "1"
    }
    # A place taken in the presale just before it closed is given up at the next join, and
    # the fan placed again (at the back, counted in the general sale), not kept as it was.
    early = member_of(str(uuid.uuid4()))
    assert await q.join(eid, early, closes - 1, phase_id=presale["phase_id"]) is Join.CREATED
    assert await q.join(eid, early, opens, phase_id=general["phase_id"]) is Join.CREATED
    assert await resources.redis.zrange(keys.queue_line(eid), 0, -1) == [member, early]
    assert await resources.redis.hgetall(keys.phase_joins(eid)) == {  # type: ignore[misc]
        presale["phase_id"]: "1",
        general["phase_id"]: "2",
    }


async def test_joins_racing_the_boundary_place_each_fan_once_in_a_phase_that_takes_it(
    api: Api, settings: Settings, resources: Resources
) -> None:
    """Members of a list presale and everyone else join, twice each and all at once, while
    the presale closes and the general sale opens under them. Afterwards each fan has one
    place, in the general sale; nobody off the list was ever placed in the presale; and no
    phase counted a fan twice."""
    org = await api.user("organizer")
    eid = (await api.event(org, waiting_room=EVENT_ROOM))["event_id"]
    prequeue_opens = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    presale = await phase(api, org, eid, name="Members", audience="list", **window(-5, 30))
    general = await phase(
        api,
        org,
        eid,
        name="General",
        audience="everyone",
        room={"prequeue_opens_at": prequeue_opens},
        **window(30, 600),
    )
    members = await bulk_fans(settings, 12)
    others = await bulk_fans(settings, 12)
    await verify_emails(settings.database_url, members)
    r = await api.client.put(
        f"/api/v1/events/{eid}/phases/{presale['phase_id']}/members",
        json={"emails": [m.email for m in members]},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text

    async def storm() -> list[Any]:
        return list(await asyncio.gather(*(join(api, eid, f) for f in [*members, *others] * 2)))

    async def boundary() -> None:
        await asyncio.sleep(0.05)
        await move_phases(settings.database_url, settings.redis_url, eid, BACK, uuid.UUID(eid))

    replies, _ = await asyncio.gather(storm(), boundary())
    assert {r.status_code for r in replies} <= {200, 201}, [r.text for r in replies]
    # Nobody off the list was placed in the presale (their only phase is the general sale).
    phase_of = await resources.redis.hgetall(keys.phase_of(eid))  # type: ignore[misc]
    for fan in others:
        assert phase_of[member_of(fan.user_id)] == general["phase_id"]
    # Everyone asks once more after the boundary: a presale place left is given up and
    # the fan placed again in the general sale; a general-sale place stays as it is.
    for fan in [*members, *others]:
        assert (await join(api, eid, fan)).status_code in (200, 201)
    line = await resources.redis.zrange(keys.queue_line(eid), 0, -1)
    assert sorted(line) == sorted(member_of(f.user_id) for f in [*members, *others])
    phase_of = await resources.redis.hgetall(keys.phase_of(eid))  # type: ignore[misc]
    assert {phase_of[m] for m in line} == {general["phase_id"]}
    joins = await resources.redis.hgetall(keys.phase_joins(eid))  # type: ignore[misc]
    assert int(joins[general["phase_id"]]) == len(members) + len(others)
    assert int(joins.get(presale["phase_id"], 0)) <= len(members)
