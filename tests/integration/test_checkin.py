"""Tickets at the door against real Redis, Postgres and localstripe: scanner keys, T2 codes,
rotating codes, check-in online and offline (sync), conflicts, lists with re-entry, voided
tickets, the scanner role, and key rotation."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner

from app.core.settings import Settings
from app.orders import refunds
from app.tickets import codes, keys
from tests.support import checkout as h
from tests.support.api import Api, User, assert_problem
from tests.support.tickets import buy, live_code, scan, scanner_of


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


SECTIONS = [
    {"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 100},
    {"code": "BALCONY", "name": "Balcony", "price_cents": 3000, "capacity": 100},
]


async def event_with_sale(api: Api, **overrides: Any) -> tuple[User, str]:
    org = await api.user("organizer")
    event = await api.event(org, sections=SECTIONS, **overrides)
    return org, event["event_id"]


async def published_keys(api: Api, event_id: str) -> dict[str, Any]:
    r = await api.client.get(f"/api/v1/events/{event_id}/scanner-key")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "public, max-age=60"
    return codes.parse_public_keys(r.text)


async def test_codes_verify_with_the_public_key_alone(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id = await event_with_sale(api)
    fan, order = await buy(api, settings, resources, event_id)
    public = await published_keys(api, event_id)
    assert len(public) == 1
    for i, ticket in enumerate(order["tickets"], start=1):
        assert ticket["code"].startswith("T2.")
        parsed = codes.verify(ticket["code"], public)
        assert parsed.claim.ticket_id == ticket["ticket_id"]
        assert parsed.claim.event_id == event_id
        assert (parsed.claim.section, parsed.claim.seq) == ("FLOOR", i)
        assert ticket["seq"] == i
        assert ticket["status"] == "valid"
        assert ticket["rotation"]["step_s"] == 15
        assert ticket["rotation"]["digits"] == 6
        assert len(ticket["rotation"]["secret"]) == 32
    # Each ticket its own rotation secret.
    assert len({t["rotation"]["secret"] for t in order["tickets"]}) == 2
    # The organizer reads the order, but never the holder's rotation secrets.
    r = await api.client.get(f"/api/v1/orders/{order['order_id']}", headers=org.headers)
    assert [t["rotation"] for t in r.json()["tickets"]] == [None, None]
    # The fan's tickets across orders, with their event.
    r = await api.client.get("/api/v1/me/tickets", headers=fan.headers)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "private, no-store"
    mine = r.json()["tickets"]
    assert [t["ticket_id"] for t in mine] == [t["ticket_id"] for t in order["tickets"]]
    assert mine[0]["event_name"] == "Test Night"
    assert mine[0]["venue"] == "Test Hall"
    assert mine[0]["rotation"] == order["tickets"][0]["rotation"]
    # The signing seed is sealed at rest: the row holds no raw Ed25519 seed.
    conn = await asyncpg.connect(settings.database_url)
    try:
        row = await conn.fetchrow("SELECT sealed_seed, public_key FROM ticket_signing_keys")
    finally:
        await conn.close()
    assert len(row["sealed_seed"]) == 1 + 12 + 32 + 16


async def test_online_checkin_admits_once_then_says_where_and_when(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id = await event_with_sale(api)
    _, order = await buy(api, settings, resources, event_id)
    scanner = await scanner_of(api, org, event_id)
    ticket = order["tickets"][0]
    first = await scan(api, scanner, live_code(ticket), gate="North", device_id="dev-1")
    assert first == {
        "result": "admitted",
        "ticket_id": ticket["ticket_id"],
        "section": "FLOOR",
        "seq": 1,
    }
    again = await scan(api, scanner, live_code(ticket), gate="South", device_id="dev-2")
    assert again["result"] == "already_in"
    assert again["first"]["gate"] == "North"
    at = datetime.fromisoformat(again["first"]["at"])
    assert abs((datetime.now(UTC) - at).total_seconds()) < 30
    # The organizer scans too; the other ticket is untouched.
    other = await scan(api, org, live_code(order["tickets"][1]), gate="South")
    assert other["result"] == "admitted"
    r = await api.client.get(f"/api/v1/events/{event_id}/checkin-lists", headers=org.headers)
    assert r.status_code == 200, r.text
    (default,) = r.json()["lists"]
    assert default["name"] == "All tickets"
    assert default["default"] is True
    assert (default["expected"], default["admitted"], default["inside"]) == (2, 2, 2)
    assert {g["gate"]: g["admitted"] for g in default["gates"]} == {"North": 1, "South": 1}


async def test_gates_scanning_one_ticket_at_once_admit_it_once(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id = await event_with_sale(api)
    _, order = await buy(api, settings, resources, event_id, quantity=1)
    scanner = await scanner_of(api, org, event_id)
    code = live_code(order["tickets"][0])
    results = await asyncio.gather(
        *(scan(api, scanner, code, gate=f"G{i}", device_id=f"d{i}") for i in range(12))
    )
    assert sorted(r["result"] for r in results).count("admitted") == 1
    assert {r["result"] for r in results} == {"admitted", "already_in"}
    firsts = {r["first"]["gate"] for r in results if r["result"] == "already_in"}
    assert len(firsts) == 1


async def test_a_screenshot_goes_stale_and_static_codes_follow_the_event(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id = await event_with_sale(api)
    _, order = await buy(api, settings, resources, event_id)
    scanner = await scanner_of(api, org, event_id)
    ticket = order["tickets"][0]
    screenshot = live_code(ticket, at=time.time() - 46)
    assert (await scan(api, scanner, screenshot))["result"] == "stale"
    assert (await scan(api, scanner, ticket["code"]))["result"] == "stale"  # bare static code
    # The organizer allows static (printed) codes for this event.
    r = await api.client.patch(
        f"/api/v1/events/{event_id}", json={"static_codes": True}, headers=org.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["static_codes"] is True
    assert (await scan(api, scanner, ticket["code"]))["result"] == "admitted"
    # A screenshot of a rotating code stays stale all the same.
    other = order["tickets"][1]
    assert (await scan(api, scanner, live_code(other, at=time.time() - 60)))["result"] == "stale"
    assert (await scan(api, scanner, live_code(other)))["result"] == "admitted"


async def test_changed_characters_and_other_events(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id = await event_with_sale(api)
    _, order = await buy(api, settings, resources, event_id)
    scanner = await scanner_of(api, org, event_id)
    code = live_code(order["tickets"][0])
    for i in (3, 20, len(code) - 20):  # payload, payload, signature
        changed = code[:i] + ("A" if code[i] != "A" else "B") + code[i + 1 :]
        assert (await scan(api, scanner, changed, event_id=event_id))["result"] == "invalid"
    assert (await scan(api, scanner, code.lower(), event_id=event_id))["result"] == "invalid"
    assert (await scan(api, scanner, "hello", event_id=event_id))["result"] == "invalid"
    # A genuine ticket of another event, scanned at this one.
    _, other_event = await event_with_sale(api)
    _, other_order = await buy(api, settings, resources, other_event, quantity=1)
    elsewhere = live_code(other_order["tickets"][0])
    assert (await scan(api, scanner, elsewhere, event_id=event_id))["result"] == "wrong_event"
    # ... and one with a forged signature naming the other event is just invalid.
    forged = elsewhere[:-30] + ("A" if elsewhere[-30] != "A" else "B") + elsewhere[-29:]
    assert (await scan(api, scanner, forged, event_id=event_id))["result"] == "invalid"
    # The code itself was not admitted anywhere by these scans.
    assert (await scan(api, scanner, code))["result"] == "admitted"


async def test_a_refunded_ticket_is_void_at_once(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id = await event_with_sale(api)
    _, order = await buy(api, settings, resources, event_id)
    scanner = await scanner_of(api, org, event_id)
    r = await api.client.post(
        f"/api/v1/orders/{order['order_id']}/refund", json={}, headers=org.headers
    )
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, order["order_id"]) == "refunded"
    out = await scan(api, scanner, live_code(order["tickets"][0]))
    assert out["result"] == "void"
    assert out["ticket_id"] == order["tickets"][0]["ticket_id"]
    r = await api.client.get(f"/api/v1/events/{event_id}/checkin-data", headers=scanner.headers)
    assert {t["status"] for t in r.json()["tickets"]} == {"void"}
    assert {t["rotation_secret"] for t in r.json()["tickets"]} == {""}


async def test_exit_and_reentry_on_a_list_that_allows_it(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id = await event_with_sale(api)
    _, order = await buy(api, settings, resources, event_id)
    scanner = await scanner_of(api, org, event_id)
    r = await api.client.post(
        f"/api/v1/events/{event_id}/checkin-lists",
        json={"name": "Floor, re-entry", "sections": ["FLOOR"], "reentry": True},
        headers=org.headers,
    )
    assert r.status_code == 201, r.text
    floor = r.json()
    assert (floor["sections"], floor["reentry"], floor["default"]) == (["FLOOR"], True, False)
    ticket = order["tickets"][0]

    async def at_floor(direction: str) -> str:
        code = live_code(ticket)
        out = await scan(api, scanner, code, list_id=floor["list_id"], direction=direction)
        return str(out["result"])

    assert await at_floor("in") == "admitted"
    assert await at_floor("in") == "already_in"
    assert await at_floor("out") == "exited"
    assert await at_floor("out") == "not_inside"
    assert await at_floor("in") == "admitted"
    # The default list has no re-entry: an exit there is refused.
    r = await api.client.post(
        "/api/v1/checkins",
        json={"code": live_code(ticket), "direction": "out"},
        headers=scanner.headers,
    )
    assert_problem(r, 409, "reentry_not_allowed")
    # Lists are independent: the default list still admits the ticket once.
    assert (await scan(api, scanner, live_code(ticket)))["result"] == "admitted"
    assert (await scan(api, scanner, live_code(ticket)))["result"] == "already_in"
    # A section the list leaves out.
    r = await api.client.post(
        f"/api/v1/events/{event_id}/checkin-lists",
        json={"name": "Balcony", "sections": ["BALCONY"]},
        headers=org.headers,
    )
    balcony = r.json()["list_id"]
    out = await scan(api, scanner, live_code(ticket), list_id=balcony)
    assert out["result"] == "wrong_list"
    r = await api.client.post(
        f"/api/v1/events/{event_id}/checkin-lists",
        json={"name": "Nowhere", "sections": ["NOPE"]},
        headers=org.headers,
    )
    assert_problem(r, 422, "invalid_request")
    r = await api.client.get(f"/api/v1/events/{event_id}/checkin-lists", headers=org.headers)
    counts = {
        item["name"]: (item["expected"], item["admitted"], item["inside"])
        for item in r.json()["lists"]
    }
    assert counts == {"All tickets": (2, 1, 1), "Floor, re-entry": (2, 1, 1), "Balcony": (0, 0, 0)}


async def test_offline_scans_sync_and_two_gates_make_a_conflict(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id = await event_with_sale(api)
    _, order = await buy(api, settings, resources, event_id)
    scanner = await scanner_of(api, org, event_id)
    data = (
        await api.client.get(f"/api/v1/events/{event_id}/checkin-data", headers=scanner.headers)
    ).json()
    ticket, calm = order["tickets"]
    now = datetime.now(UTC)
    code = live_code(ticket)

    def upload(
        device: str, gate: str, at: datetime, result: str = "admitted", c: str = code
    ) -> Any:
        return api.client.post(
            "/api/v1/checkins/sync",
            json={
                "device_id": device,
                "scans": [
                    {"code": c, "gate": gate, "scanned_at": at.isoformat(), "local_result": result}
                ],
            },
            headers=scanner.headers,
        )

    r = await upload("dev-A", "East", now - timedelta(seconds=5))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["results"] == [
        {"result": "admitted", "conflict": False, "ticket_id": ticket["ticket_id"]}
    ]
    assert body["checkin_data_version"] > data["version"]
    # The same upload again (the device retried): the same answer, nothing new.
    r = await upload("dev-A", "East", now - timedelta(seconds=5))
    assert r.json()["results"][0] == {
        "result": "admitted",
        "conflict": False,
        "ticket_id": ticket["ticket_id"],
    }
    # Gate West admitted the same ticket while offline too.
    r = await upload("dev-B", "West", now - timedelta(seconds=2))
    assert r.json()["results"] == [
        {"result": "already_in", "conflict": True, "ticket_id": ticket["ticket_id"]}
    ]
    # From now on the ticket is refused, online too, until an organizer resolves it.
    out = await scan(api, scanner, live_code(ticket), gate="North")
    assert out["result"] == "already_in"
    assert out["conflict"] is True
    assert out["first"]["gate"] == "East"
    r = await api.client.get(f"/api/v1/events/{event_id}/checkin-conflicts", headers=org.headers)
    assert r.status_code == 200, r.text
    (conflict,) = r.json()["conflicts"]
    assert conflict["ticket_id"] == ticket["ticket_id"]
    assert conflict["resolved"] is False
    assert [(s["gate"], s["device_id"]) for s in conflict["scans"]] == [
        ("East", "dev-A"),
        ("West", "dev-B"),
    ]
    # A scanner sees no conflicts list (organizers only) and cannot resolve.
    r = await api.client.get(
        f"/api/v1/events/{event_id}/checkin-conflicts", headers=scanner.headers
    )
    assert_problem(r, 403, "forbidden")
    url = f"/api/v1/events/{event_id}/checkin-conflicts/{ticket['ticket_id']}/resolve"
    assert (await api.client.post(url, headers=org.headers)).status_code == 204
    assert_problem(await api.client.post(url, headers=org.headers), 404, "not_found")
    r = await api.client.get(f"/api/v1/events/{event_id}/checkin-conflicts", headers=org.headers)
    assert r.json()["conflicts"][0]["resolved"] is True
    out = await scan(api, scanner, live_code(ticket))
    assert out["result"] == "already_in"
    assert out.get("conflict", False) is False
    # A refused offline scan changes nothing; a stale code offline is stale by its own time.
    old = live_code(calm, at=time.time() - 120)
    r = await upload("dev-A", "East", now - timedelta(seconds=1), result="admitted", c=old)
    assert r.json()["results"][0]["result"] == "stale"
    fresh_then = live_code(calm, at=time.time() - 120)
    r = await upload("dev-C", "East", now - timedelta(seconds=120), result="admitted", c=fresh_then)
    assert r.json()["results"][0] == {
        "result": "admitted",
        "conflict": False,
        "ticket_id": calm["ticket_id"],
    }


async def test_checkin_data_is_what_a_scanner_needs_offline(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id = await event_with_sale(api)
    _, order = await buy(api, settings, resources, event_id)
    scanner = await scanner_of(api, org, event_id)
    r = await api.client.get(f"/api/v1/events/{event_id}/checkin-data", headers=scanner.headers)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    data = r.json()
    assert data["event"]["event_id"] == event_id
    assert data["static_codes"] is False
    assert data["list"]["name"] == "All tickets"
    assert data["list"]["reentry"] is False
    assert (data["step_s"], data["digits"]) == (15, 6)
    public = codes.parse_public_keys(json.dumps({"keys": data["keys"]}))
    by_id = {t["ticket_id"]: t for t in data["tickets"]}
    assert set(by_id) == {t["ticket_id"] for t in order["tickets"]}
    for ticket in order["tickets"]:
        entry = by_id[ticket["ticket_id"]]
        # The scanner computes what the fan's app shows, from its own copy of the secret.
        assert entry["rotation_secret"] == ticket["rotation"]["secret"]
        assert (entry["status"], entry["inside"], entry["section"]) == ("valid", False, "FLOOR")
        codes.verify(ticket["code"], public)
    await scan(api, scanner, live_code(order["tickets"][0]))
    later = (
        await api.client.get(f"/api/v1/events/{event_id}/checkin-data", headers=scanner.headers)
    ).json()
    assert later["version"] > data["version"]
    assert {t["ticket_id"]: t["inside"] for t in later["tickets"]}[
        order["tickets"][0]["ticket_id"]
    ] is True
    r = await api.client.get(
        f"/api/v1/events/{event_id}/checkin-data?list_id=not-a-list", headers=scanner.headers
    )
    assert_problem(r, 404, "not_found")


async def test_the_scanner_role_is_per_event(api: Api, settings: Settings, resources: Any) -> None:
    org_a, event_a = await event_with_sale(api)
    org_b, event_b = await event_with_sale(api)
    fan_a, order_a = await buy(api, settings, resources, event_a, quantity=1)
    _, order_b = await buy(api, settings, resources, event_b, quantity=1)
    scanner = await scanner_of(api, org_a, event_a)
    code_b = live_code(order_b["tickets"][0])
    # A fan (even the ticket's holder) cannot scan.
    r = await api.client.post(
        "/api/v1/checkins", json={"code": live_code(order_a["tickets"][0])}, headers=fan_a.headers
    )
    assert_problem(r, 403, "forbidden")
    r = await api.client.post("/api/v1/checkins", json={"code": "junk"}, headers=fan_a.headers)
    assert_problem(r, 403, "forbidden")
    # A scanner of A cannot scan B's tickets nor read B's offline data, nor grant anyone.
    r = await api.client.post("/api/v1/checkins", json={"code": code_b}, headers=scanner.headers)
    assert_problem(r, 403, "forbidden")
    r = await api.client.get(f"/api/v1/events/{event_b}/checkin-data", headers=scanner.headers)
    assert_problem(r, 403, "forbidden")
    r = await api.client.put(
        f"/api/v1/events/{event_a}/scanners/x@example.com", headers=scanner.headers
    )
    assert_problem(r, 403, "forbidden")
    # Another organizer cannot grant on an event that is not theirs.
    r = await api.client.put(
        f"/api/v1/events/{event_a}/scanners/x@example.com", headers=org_b.headers
    )
    assert_problem(r, 404, "not_found")
    r = await api.client.get("/api/v1/me/scanner-events", headers=scanner.headers)
    assert [e["event_id"] for e in r.json()["events"]] == [event_a]
    r = await api.client.get(f"/api/v1/events/{event_a}/scanners", headers=org_a.headers)
    assert [s["email"] for s in r.json()["scanners"]] == [scanner.email.lower()]
    # Revoked: refused at once.
    r = await api.client.delete(
        f"/api/v1/events/{event_a}/scanners/{scanner.email.upper()}", headers=org_a.headers
    )
    assert r.status_code == 204
    r = await api.client.post(
        "/api/v1/checkins", json={"code": live_code(order_a["tickets"][0])}, headers=scanner.headers
    )
    assert_problem(r, 403, "forbidden")
    assert (await api.client.get("/api/v1/me/scanner-events", headers=scanner.headers)).json() == {
        "events": []
    }
    r = await api.client.put(
        f"/api/v1/events/{event_a}/scanners/not-an-email", headers=org_a.headers
    )
    assert_problem(r, 422, "invalid_request")


async def test_key_rotation_keeps_old_codes_until_they_are_re_signed(
    api: Api, settings: Settings, resources: Any, tmp_path: Path
) -> None:
    org, event_id = await event_with_sale(api)
    _, before = await buy(api, settings, resources, event_id)
    scanner = await scanner_of(api, org, event_id)
    old_kid = codes.parse(before["tickets"][0]["code"]).claim.kid
    r = await api.client.post(
        f"/api/v1/events/{event_id}/scanner-key/rotate", json={}, headers=org.headers
    )
    assert r.status_code == 201, r.text
    new_kid = r.json()["kid"]
    assert new_kid != old_kid
    assert r.json()["resigned"] == 0
    keys.forget()  # as if in another process, past the signer cache's life
    assert [k["kid"] for k in r.json()["keys"]] == [old_kid, new_kid]
    _, after = await buy(api, settings, resources, event_id)
    assert codes.parse(after["tickets"][0]["code"]).claim.kid == new_kid
    public = await published_keys(api, event_id)
    assert set(public) == {old_kid, new_kid}
    assert (await scan(api, scanner, live_code(before["tickets"][0])))["result"] == "admitted"
    assert (await scan(api, scanner, live_code(after["tickets"][0])))["result"] == "admitted"
    # A leak: rotate again and retire the old keys; every ticket gets a new code.
    r = await api.client.post(
        f"/api/v1/events/{event_id}/scanner-key/rotate",
        json={"retire_old": True},
        headers=org.headers,
    )
    assert r.status_code == 201, r.text
    newest = r.json()["kid"]
    assert r.json()["resigned"] == 4
    assert [k["kid"] for k in r.json()["keys"]] == [newest]
    # The old code (a screenshot, an old copy in the app) is dead; the new one admits.
    stale_copy = live_code(before["tickets"][1])
    assert (await scan(api, scanner, stale_copy))["result"] == "void"
    fan_view = (
        await api.client.get(f"/api/v1/orders/{before['order_id']}", headers=org.headers)
    ).json()
    assert all(codes.parse(t["code"]).claim.kid == newest for t in fan_view["tickets"])
    # The offline verifier: with only the newest public key, old codes are forgeries.
    key_file = tmp_path / "keys.json"
    key_file.write_text((await api.client.get(f"/api/v1/events/{event_id}/scanner-key")).text)
    from app.cli import main

    env = {"ONSALE_SECRET_KEY": ""}
    ok = CliRunner().invoke(
        main,
        ["tickets", "verify", fan_view["tickets"][0]["code"], "--key-file", str(key_file)],
        env=env,
    )
    assert ok.exit_code == 0, ok.output
    assert f"valid: ticket {fan_view['tickets'][0]['ticket_id']}" in ok.output
    old = CliRunner().invoke(
        main,
        ["tickets", "verify", before["tickets"][0]["code"], "--key-file", str(key_file)],
        env=env,
    )
    assert old.exit_code == 1
    assert "invalid" in old.output
    # Codes of an event's old keys, rotated by a scanner that is not its organizer: refused.
    r = await api.client.post(
        f"/api/v1/events/{event_id}/scanner-key/rotate", json={}, headers=scanner.headers
    )
    assert_problem(r, 403, "forbidden")


async def test_scanner_key_of_an_unknown_or_draft_event_is_404(api: Api) -> None:
    r = await api.client.get("/api/v1/events/018f0000-0000-7000-8000-000000000000/scanner-key")
    assert_problem(r, 404, "not_found")
    org = await api.user("organizer")
    draft = await api.event(org, publish=False)
    r = await api.client.get(f"/api/v1/events/{draft['event_id']}/scanner-key")
    assert_problem(r, 404, "not_found")


async def test_rotate_key_command_re_signs_tickets_from_before_signing_keys(
    api: Api, settings: Settings, resources: Any
) -> None:
    """`onsale tickets rotate-key EVENT --retire-old` as an operator runs it: a ticket with a
    T1 code from before 0010 (no kid) gets a T2 code that scans, and the old key goes."""
    org, event_id = await event_with_sale(api, static_codes=True)
    _, order = await buy(api, settings, resources, event_id, quantity=1)
    ticket = order["tickets"][0]
    old_kid = codes.parse(ticket["code"]).claim.kid
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            "UPDATE tickets SET code = 'T1.legacy.code', kid = NULL WHERE ticket_id = $1",
            uuid.UUID(ticket["ticket_id"]),
        )
    finally:
        await conn.close()
    env = {**os.environ, **settings.as_env()}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "app.cli", "tickets", "rotate-key", event_id, "--retire-old"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("new key ")
    assert "1 tickets re-signed" in done.stdout
    new_kid = done.stdout.split()[2].rstrip(";")
    keys.forget()  # this process's cache, as after SIGNER_TTL_S
    assert set(await published_keys(api, event_id)) == {new_kid} != {old_kid}
    r = await api.client.get(f"/api/v1/orders/{order['order_id']}", headers=org.headers)
    code = r.json()["tickets"][0]["code"]
    assert codes.parse(code).claim.kid == new_kid
    scanner = await scanner_of(api, org, event_id)
    assert (await scan(api, scanner, code))["result"] == "admitted"
    assert (await scan(api, scanner, "T1.legacy.code", event_id=event_id))["result"] == "invalid"


async def test_the_offline_copy_is_rate_limited_per_scanner(api: Api) -> None:
    org, event_id = await event_with_sale(api)
    scanner = await scanner_of(api, org, event_id)
    url = f"/api/v1/events/{event_id}/checkin-data"
    for _ in range(120):
        assert (await api.client.get(url, headers=scanner.headers)).status_code == 200
    r = await api.client.get(url, headers=scanner.headers)
    assert_problem(r, 429, "rate_limited")
    assert int(r.headers["retry-after"]) > 0
    # Another scanner has its own budget.
    other = await scanner_of(api, org, event_id)
    assert (await api.client.get(url, headers=other.headers)).status_code == 200


async def test_an_old_key_is_published_while_a_valid_ticket_carries_it(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id = await event_with_sale(api)
    _, order = await buy(api, settings, resources, event_id, quantity=1)
    old_kid = codes.parse(order["tickets"][0]["code"]).claim.kid
    r = await api.client.post(
        f"/api/v1/events/{event_id}/scanner-key/rotate", json={}, headers=org.headers
    )
    new_kid = r.json()["kid"]
    assert set(await published_keys(api, event_id)) == {old_kid, new_kid}
    # The only ticket of the old key is refunded: scanners need not trust that key any more.
    r = await api.client.post(
        f"/api/v1/orders/{order['order_id']}/refund", json={}, headers=org.headers
    )
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, order["order_id"]) == "refunded"
    assert set(await published_keys(api, event_id)) == {new_kid}
