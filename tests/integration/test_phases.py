"""Sale phases over HTTP (in-process app, real Redis and Postgres): the overlap rule,
access codes at the room's door (single and N uses, bound to an account, under
concurrency), member lists, a phase's sections and limits, and the invariants."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.core.settings import Settings
from tests.support.api import Api, assert_problem, bulk_fans
from tests.support.checkout import hold_with
from tests.support.holds import assert_conserved, inventory
from tests.support.phases import codes, join, move_phases, phase, verify_emails, window
from tests.support.redis_clients import connect
from waiting_room import tokens


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = connect(settings.redis_url)
    yield client
    await client.aclose()


TWO_SECTIONS = [
    {"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 10},
    {"code": "BALCONY", "name": "Balcony", "price_cents": 3000, "capacity": 100},
]


async def test_phases_overlap_only_when_audiences_differ(api: Api) -> None:
    org = await api.user("organizer")
    event = await api.event(org)
    eid = event["event_id"]
    await phase(api, org, eid, name="Fan club", audience="code", **window(0, 60))
    # Same audience, overlapping window: refused with a clear code, nothing written.
    r = await api.client.post(
        f"/api/v1/events/{eid}/phases",
        json={"name": "Second presale", "audience": "code", **window(30, 90)},
        headers=org.headers,
    )
    body = assert_problem(r, 422, "phase_overlap")
    assert "Fan club" in body["detail"]
    # Another audience may overlap; the same audience may follow without overlap.
    await phase(api, org, eid, name="Members", audience="list", **window(30, 90))
    await phase(api, org, eid, name="Later codes", audience="code", **window(60, 120))
    listed = (await api.client.get(f"/api/v1/events/{eid}/phases")).json()["items"]
    assert [p["name"] for p in listed] == ["Fan club", "Members", "Later codes"]
    assert all(len(p["seed_sha256"]) == 64 and "figures" not in p for p in listed)
    # Bad windows and unknown sections are field errors.
    r = await api.client.post(
        f"/api/v1/events/{eid}/phases",
        json={"name": "Odd", "audience": "everyone", **window(60, 10), "sections": ["NOPE"]},
        headers=org.headers,
    )
    fields = {e["field"] for e in assert_problem(r, 422, "invalid_request")["errors"]}
    assert fields == {"closes_at", "sections[0]"}


async def test_presale_with_codes_then_general_sale_with_each_phases_limits(
    api: Api, settings: Settings
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, sections=TWO_SECTIONS)
    eid = event["event_id"]
    presale = await phase(
        api,
        org,
        eid,
        name="Presale",
        audience="code",
        sections=["FLOOR"],
        max_per_user=2,
        **window(-5, 30),
    )
    general = await phase(api, org, eid, name="General", audience="everyone", **window(30, 600))
    fan, other = await api.user(), await api.user()
    [code] = await codes(api, org, eid, presale["phase_id"], 1)

    assert_problem(await join(api, eid, fan), 403, "code_required")
    assert_problem(await join(api, eid, fan, "NOPE-NOPE-NOPE"), 403, "code_invalid")
    r = await join(api, eid, fan, code.lower())  # typed in lower case: still the code
    assert r.status_code == 201, r.text
    token = r.json()["admission_token"]
    admission = tokens.verify(settings.secret_key, token, event_id=eid, user_id=fan.user_id)
    assert (admission.phase_id, admission.sections, admission.max_per_user) == (
        presale["phase_id"],
        ("FLOOR",),
        2,
    )
    # The phase's sections and limit hold at the hold, the event's would allow more.
    assert_problem(
        await hold_with(api.client, eid, fan, token, 1, "BALCONY"), 409, "section_not_in_phase"
    )
    assert_problem(await hold_with(api.client, eid, fan, token, 3, "FLOOR"), 409, "limit_exceeded")
    r = await hold_with(api.client, eid, fan, token, 2, "FLOOR")
    assert r.status_code == 201, r.text
    # Used twice: by another account the single-use code is invalid; its owner gets back in.
    assert_problem(await join(api, eid, other, code), 403, "code_invalid")
    again = await join(api, eid, fan)
    assert again.status_code == 200, again.text

    # The general sale opens: everyone gets in, with every section and the event's limit.
    await move_phases(
        settings.database_url,
        settings.redis_url,
        eid,
        "UPDATE event_phases SET opens_at = opens_at - interval '40 minutes',"
        " closes_at = closes_at - interval '40 minutes' WHERE event_id = $1::uuid",
        eid,
    )
    r = await join(api, eid, other)
    assert r.status_code == 201, r.text
    admission = tokens.verify(
        settings.secret_key, r.json()["admission_token"], event_id=eid, user_id=other.user_id
    )
    assert (admission.phase_id, admission.sections) == (general["phase_id"], ())
    r = await hold_with(api.client, eid, other, r.json()["admission_token"], 5, "BALCONY")
    assert r.status_code == 201, r.text
    listed = (await api.client.get(f"/api/v1/events/{eid}/phases", headers=org.headers)).json()
    figures = {p["name"]: p["figures"] for p in listed["items"]}
    assert figures["Presale"]["codes"] == 1
    assert figures["Presale"]["redeemed"] == 1
    assert figures["Presale"]["joined"] == 1
    assert figures["General"]["joined"] == 1


async def test_a_single_use_code_tried_by_fifty_accounts_at_once_admits_one(
    api: Api, settings: Settings
) -> None:
    org = await api.user("organizer")
    eid = (await api.event(org))["event_id"]
    presale = await phase(api, org, eid)
    [single] = await codes(api, org, eid, presale["phase_id"], 1)
    [shared] = await codes(api, org, eid, presale["phase_id"], 1, uses=3)
    fans = await bulk_fans(settings, 60)
    results = await asyncio.gather(*(join(api, eid, f, single) for f in fans[:50]))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [403] * 49, statuses
    assert {r.json()["code"] for r in results if r.status_code == 403} == {"code_invalid"}
    # A code of three uses: three accounts, under the same storm (and one of them twice).
    storm = [*fans[50:60], fans[50]]
    results = await asyncio.gather(*(join(api, eid, f, shared) for f in storm))
    winners = {storm[i].user_id for i, r in enumerate(results) if r.status_code in (200, 201)}
    assert len(winners) == 3, [r.status_code for r in results]
    export = await api.client.get(
        f"/api/v1/events/{eid}/phases/{presale['phase_id']}/codes", headers=org.headers
    )
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(export.text))}
    assert (rows[single]["used"], rows[shared]["used"], rows[shared]["uses"]) == ("1", "3", "3")


async def test_codes_import_from_csv_and_member_lists(api: Api, settings: Settings) -> None:
    org = await api.user("organizer")
    eid = (await api.event(org))["event_id"]
    presale = await phase(api, org, eid)
    members = await phase(api, org, eid, name="Members", audience="list")
    base = f"/api/v1/events/{eid}/phases"
    r = await api.client.post(
        f"{base}/{presale['phase_id']}/codes/import",
        json={"csv": "code,uses\nCLUB-2026-AAAA,2\nclub-2026-bbbb,2\nCLUB-2026-AAAA,2\n"},
        headers=org.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 2, "skipped": 1}
    fan, member, stranger = await api.user(), await api.user(), await api.user()
    r = await api.client.put(
        f"{base}/{members['phase_id']}/members",
        json={"csv": f"name,email\nMember,{member.email.upper()}\nBad,not-an-email\n"},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"members": 1}
    # On the list, but the address is not proved yet: whoever signed up with it waits.
    assert_problem(await join(api, eid, member), 403, "email_unverified")
    await verify_emails(settings.database_url, [member])
    assert (await join(api, eid, member)).status_code == 201
    # A code phase and a list phase are open: a stranger is asked for a code.
    assert_problem(await join(api, eid, stranger), 403, "code_required")
    assert (await join(api, eid, fan, "CLUB-2026-BBBB")).status_code == 201
    # A list alone: not on it.
    only_list = (await api.event(org))["event_id"]
    p = await phase(api, org, only_list, name="Members", audience="list")
    await api.client.put(
        f"/api/v1/events/{only_list}/phases/{p['phase_id']}/members",
        json={"emails": [member.email]},
        headers=org.headers,
    )
    assert_problem(await join(api, only_list, stranger), 403, "not_on_list")
    # Codes belong to code phases only.
    r = await api.client.post(
        f"{base}/{members['phase_id']}/codes", json={"count": 1}, headers=org.headers
    )
    assert_problem(r, 409, "wrong_audience")


async def test_no_phase_open_is_sale_not_open_and_events_without_phases_are_unchanged(
    api: Api, settings: Settings
) -> None:
    org = await api.user("organizer")
    eid = (await api.event(org))["event_id"]
    await phase(api, org, eid, audience="everyone", **window(30, 60))
    fan = await api.user()
    body = assert_problem(await join(api, eid, fan), 409, "sale_not_open")
    assert "next sale phase" in body["detail"]
    plain = (await api.event(org))["event_id"]
    r = await join(api, plain, fan, "IGNORED-CODE")
    assert r.status_code == 201, r.text
    admission = tokens.verify(
        settings.secret_key, r.json()["admission_token"], event_id=plain, user_id=fan.user_id
    )
    assert admission.phase_id == ""
    # The plain token has the four fields it always had.
    assert r.json()["admission_token"].count(".") == 2


async def test_no_oversell_and_conservation_in_a_presale_storm(
    api: Api, settings: Settings, redis: Redis
) -> None:
    """Forty code holders race for ten FLOOR seats two at a time: at most ten sold or
    held, and available + held + sold = capacity, in the phase's section and the other."""
    org = await api.user("organizer")
    eid = (await api.event(org, sections=TWO_SECTIONS))["event_id"]
    presale = await phase(api, org, eid, sections=["FLOOR"], max_per_user=2)
    fans = await bulk_fans(settings, 40)
    issued = await codes(api, org, eid, presale["phase_id"], 40)
    joins = await asyncio.gather(*(join(api, eid, f, c) for f, c in zip(fans, issued, strict=True)))
    assert all(r.status_code == 201 for r in joins)
    holds = await asyncio.gather(
        *(
            hold_with(api.client, eid, f, r.json()["admission_token"], 2, "FLOOR")
            for f, r in zip(fans, joins, strict=True)
        )
    )
    made = [h for h in holds if h.status_code == 201]
    assert len(made) == 5
    assert {h.json()["code"] for h in holds if h.status_code != 201} == {"sold_out"}
    floor = await inventory(redis, eid, "FLOOR")
    assert floor["held"] == 10
    assert floor["available"] == 0
    assert_conserved(floor)
    assert_conserved(await inventory(redis, eid, "BALCONY"))


async def test_a_phase_asks_for_its_own_proof_of_work(api: Api) -> None:
    """A presale bots would flood asks joins for a proof of work; the next phase does not."""
    from app.core import pow

    org = await api.user("organizer")
    eid = (await api.event(org))["event_id"]
    await phase(api, org, eid, audience="everyone", room={"pow_difficulty": 8}, **window(-5, 30))
    await phase(api, org, eid, name="Later", audience="everyone", **window(30, 90))
    fan = await api.user()
    r = await api.client.get(f"/api/v1/events/{eid}/queue/challenge", headers=fan.headers)
    challenge = r.json()
    assert challenge["difficulty"] == 8
    assert_problem(await join(api, eid, fan), 403, "pow_required")
    nonce = pow.solve(challenge["challenge"], challenge["difficulty"])
    r = await api.client.post(
        f"/api/v1/events/{eid}/queue",
        headers={**fan.headers, "X-PoW-Challenge": challenge["challenge"], "X-PoW-Nonce": nonce},
    )
    assert r.status_code == 201, r.text
    listed = (await api.client.get(f"/api/v1/events/{eid}/phases")).json()["items"]
    assert listed[0]["room"] == {"pow_difficulty": 8}
