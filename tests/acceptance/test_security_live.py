"""Security against real `onsale api` / `onsale worker` processes: start-up refusal of weak
secrets, the client address behind a proxy, the stream cap, a login storm, and a BOLA walk over
every id-bearing operation of the live OpenAPI document."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from app.core.settings import DEV_SECRET_KEY, Settings
from app.orgs import invitations
from app.queue import streamcap
from devtools.embedded import free_port
from tests.support.api import PASSWORD, Api, User, bulk_fans, event_body
from tests.support.checkout import hold
from tests.support.roles import promised
from tests.support.servers import KEEPALIVE_S, ROOT, api_process

STRONG = {
    "ONSALE_SECRET_KEY": secrets.token_hex(32),
    "ONSALE_STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
}


def run_cli(args: list[str], env: dict[str, str], wait_s: float = 20) -> tuple[int | None, str]:
    """Run `onsale ARGS`; (exit code or None if still running after wait_s, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, err = proc.communicate(timeout=wait_s)
        return proc.returncode, err
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        return None, err


def production_env(settings: Settings, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONSALE_")}
    env.update(
        ONSALE_REDIS_URL=settings.redis_url,
        ONSALE_DATABASE_URL=settings.database_url,
        ONSALE_DEV_STATE="/nonexistent/dev.json",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


@pytest.mark.parametrize("command", [["api", "--port", "0"], ["worker"]])
def test_production_refuses_to_start_with_weak_secrets(
    settings: Settings, command: list[str]
) -> None:
    """Finding 1: unset, short or published secrets stop `onsale api` and `onsale worker`."""
    cases = {
        "ONSALE_SECRET_KEY is not set": {"ONSALE_STRIPE_WEBHOOK_SECRET": STRONG[
            "ONSALE_STRIPE_WEBHOOK_SECRET"]},
        "ONSALE_SECRET_KEY is shorter": {**STRONG, "ONSALE_SECRET_KEY": "short-key"},
        "ONSALE_SECRET_KEY is a default": {
            **STRONG, "ONSALE_SECRET_KEY": DEV_SECRET_KEY
        },
        "ONSALE_STRIPE_WEBHOOK_SECRET is a default": {
            **STRONG, "ONSALE_STRIPE_WEBHOOK_SECRET": "whsec_onsale_local"
        },
        # Round 2, finding 13: a secret committed anywhere in the repository, and one
        # under 128 bits of estimated entropy (38 digits: 126 bits).
        "ONSALE_SECRET_KEY is a default published": {
            **STRONG, "ONSALE_SECRET_KEY": "unit-test-secret-0123456789abcdef0123456789abcdef"
        },
        "ONSALE_SECRET_KEY has less than 128 bits": {
            **STRONG, "ONSALE_SECRET_KEY": "31415926535897932384626433832795028841"
        },
        "ONSALE_STRIPE_WEBHOOK_SECRET is not set": {
            "ONSALE_SECRET_KEY": STRONG["ONSALE_SECRET_KEY"]
        },
    }  # fmt: skip
    for expected, overrides in cases.items():
        code, err = run_cli(command, production_env(settings, **overrides))
        assert code not in (0, None), (expected, err[-2000:])
        assert expected in err, err[-2000:]
        assert "Traceback" not in err
    # Strong secrets: the worker starts and keeps running.
    if command[0] == "worker":
        code, err = run_cli(command, production_env(settings, **STRONG), wait_s=5)
        assert code is None, err[-3000:]


@pytest.mark.parametrize("command", [["api", "--port", "0"], ["worker"]])
def test_a_dev_state_file_does_not_switch_production_to_dev(
    settings: Settings, command: list[str], tmp_path: Path
) -> None:
    """Round 2, finding 1: `.onsale/dev.json` (ONSALE_ENV=dev, guards off) left where
    `onsale dev` ran does not reach `onsale api` / `onsale worker`: without secrets of
    their own they still refuse to start, as production."""
    state = tmp_path / "dev.json"
    state.write_text(
        '{"ONSALE_ENV": "dev", "ONSALE_WEBHOOK_ALLOW_PRIVATE": "true",'
        f' "ONSALE_SECRET_KEY": "{DEV_SECRET_KEY}"}}'
    )
    code, err = run_cli(command, production_env(settings, ONSALE_DEV_STATE=str(state)))
    assert code not in (0, None), err[-2000:]
    assert "refusing to start in production" in err
    assert "ONSALE_SECRET_KEY is not set" in err


def test_production_api_starts_with_strong_secrets(settings: Settings) -> None:
    port = free_port()
    env = production_env(settings, **STRONG)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "api", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the api exited"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        # Production: /metrics is not public without ONSALE_METRICS_TOKEN.
        assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 404
    finally:
        from tests.support.servers import stop_process

        stop_process(proc)


async def test_forwarded_for_from_trusted_proxy_gives_each_client_its_own_limit(
    settings: Settings,
) -> None:
    """Under ONSALE_ENV=dev loopback is a trusted proxy: X-Forwarded-For names the client.
    In production with no trusted proxies the header is ignored."""

    async def register_all(base: str, forwarded: list[str]) -> list[int]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            codes = []
            for ip in forwarded:
                r = await client.post(
                    "/api/v1/auth/register",
                    json={"email": f"x-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD},
                    headers={"X-Forwarded-For": ip},
                )
                codes.append(r.status_code)
            return codes

    with api_process(settings) as base:
        assert await register_all(base, [f"198.51.100.{i}" for i in range(25)]) == [201] * 25
        codes = await register_all(base, ["203.0.113.7"] * 21)
        assert codes == [201] * 20 + [429]
    with api_process(settings, extra_env={**STRONG, "ONSALE_ENV": "production"}) as base:
        codes = await register_all(base, [f"198.51.100.{i}" for i in range(21)])
        assert codes == [201] * 20 + [429]  # all counted as 127.0.0.1, the real peer


async def test_stream_cap_per_account_and_streams_end_when_closed(
    settings: Settings,
) -> None:
    """Finding 6: one account cannot hold more than N streams; a closed queue ends them."""
    with api_process(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as live:
            api = Api(live, settings.database_url)
            org = await api.user("organizer")
            event = await api.event(org, waiting_room={"enabled": True, "admit_batch_size": 1})
            ev = event["event_id"]
            fan = await api.user()
            assert (await live.post(f"/api/v1/events/{ev}/queue", headers=fan.headers)).is_success
            url = f"/api/v1/events/{ev}/queue/stream"
            streams = [
                live.stream("GET", url, headers=fan.headers)
                for _ in range(settings.max_streams_per_account)
            ]
            opened = [await s.__aenter__() for s in streams]
            assert [o.status_code for o in opened] == [200] * len(opened)
            extra = await live.get(url, headers=fan.headers)
            assert extra.status_code == 429, extra.text
            assert extra.json()["code"] == "rate_limited"
            assert int(extra.headers["retry-after"]) >= 1
            # Every seat withdrawn: sold out, the queue is closed, every stream ends.
            r = await live.post(
                f"/api/v1/events/{ev}/sections/FLOOR/capacity",
                json={"delta": -100},
                headers=org.headers,
            )
            assert r.status_code == 200, r.text

            async def drain(response: Any) -> str:
                return "".join([chunk async for chunk in response.aiter_text()])

            texts = await asyncio.wait_for(asyncio.gather(*(drain(o) for o in opened)), 20)
            assert all('"state":"closed"' in t for t in texts), texts
            for s in streams:
                await s.__aexit__(None, None, None)
            async with live.stream("GET", url, headers=fan.headers) as again:
                assert again.status_code == 200


async def test_a_closed_stream_gives_its_slot_back_and_retry_after_tells_when(
    settings: Settings,
) -> None:
    """Security round 2, finding 8: a stream whose client went away frees its slot at once
    (not after the 60 s lease), and the 429 at the cap says when the oldest lease ends."""
    with api_process(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as live:
            api = Api(live, settings.database_url)
            org = await api.user("organizer")
            event = await api.event(org, waiting_room={"enabled": True, "admit_batch_size": 1})
            ev = event["event_id"]
            fan = await api.user()
            assert (await live.post(f"/api/v1/events/{ev}/queue", headers=fan.headers)).is_success
            url = f"/api/v1/events/{ev}/queue/stream"
            cap = settings.max_streams_per_account
            streams = [live.stream("GET", url, headers=fan.headers) for _ in range(cap)]
            opened = [await s.__aenter__() for s in streams]
            assert [o.status_code for o in opened] == [200] * cap
            extra = await live.get(url, headers=fan.headers)
            assert extra.status_code == 429, extra.text
            lease_s = streamcap.LEASE_MS // 1000
            assert lease_s - 10 <= int(extra.headers["retry-after"]) <= lease_s
            for s in streams:
                await s.__aexit__(None, None, None)
            # Every slot is back well before a lease could have lapsed.
            deadline = time.monotonic() + 10
            while True:
                again = [live.stream("GET", url, headers=fan.headers) for _ in range(cap)]
                codes = [(await a.__aenter__()).status_code for a in again]
                for a in again:
                    await a.__aexit__(None, None, None)
                if codes == [200] * cap:
                    break
                assert time.monotonic() < deadline, codes
                await asyncio.sleep(0.2)


async def test_200_logins_at_once_succeed_or_get_429_without_waiting(settings: Settings) -> None:
    """Finding 11: no pile-up behind argon2: every answer is 200 or a prompt 429 + Retry-After."""
    fans = await bulk_fans(settings, 203)
    solo_fans, fans = fans[:3], fans[3:]
    with api_process(settings) as base:
        limits = httpx.Limits(max_connections=200, keepalive_expiry=KEEPALIVE_S)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

            async def health() -> float:
                start = time.monotonic()
                await client.get("/health/live")
                return time.monotonic() - start

            async def login(i: int, fan: User) -> tuple[int, float, str | None]:
                start = time.monotonic()
                r = await client.post(
                    "/api/v1/auth/login",
                    json={"email": fan.email, "password": fan.password},
                    headers={"X-Forwarded-For": f"10.9.{i // 250}.{i % 250}"},
                )
                return r.status_code, time.monotonic() - start, r.headers.get("retry-after")

            # Two baselines, taken in this test under the machine's present load:
            # the same burst without any hashing, and one login alone (one hash).
            baseline = max(await asyncio.gather(*(health() for _ in range(200))))
            solo_runs = [await login(240 + i, fan) for i, fan in enumerate(solo_fans)]
            assert [s for s, _, _ in solo_runs] == [200, 200, 200]
            solo = max(t for _, t, _ in solo_runs)

            results = await asyncio.gather(*(login(i, f) for i, f in enumerate(fans)))
    statuses = [s for s, _, _ in results]
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) >= 10
    assert all(ra is not None and int(ra) >= 1 for s, _, ra in results if s == 429)
    slowest = max(t for _, t, _ in results)
    ok_times = sorted(t for s, t, _ in results if s == 200)
    print(
        f"200 logins at once: {statuses.count(200)} x 200, {statuses.count(429)} x 429, "
        f"slowest {slowest:.2f} s, median success {ok_times[len(ok_times) // 2]:.2f} s; "
        f"200 health checks at once: slowest {baseline:.2f} s; one login alone {solo:.3f} s"
    )
    # Before: 100 logins had a p50 of 7.3 s, and 200 would queue ~20 s of hashing.
    # Now a login gets a hash slot within a few hash times or a 429 at once: at most
    # (1 + MAX_WAITING_PER_CPU) = 5 logins per CPU are ahead of any one, so the slowest
    # answer is the burst's own cost plus about 5 logins alone. The bound allows twice
    # that (10 logins alone); a pile-up behind the hash is 200 / CPUs = 100 logins alone.
    # Both baselines are taken under the same load as the burst, so a load average of 4
    # stretches them with it instead of crossing the bound (a fixed bound of 5 s did).
    bound = max(5.0, 4 * baseline + 10 * solo)
    assert slowest < bound, (bound, sorted(t for _, t, _ in results)[-10:])


# --- BOLA walk ---------------------------------------------------------------------------------
SAMPLE_BODIES: dict[str, Any] = {
    "createHold": {"section": "FLOOR", "quantity": 1},
    "createDiscount": {"code": "WALK", "percent_off": 10, "max_uses": 1},
    "changeSectionCapacity": {"delta": 1},
    "patchEvent": {"name": "Taken over"},
    "grantRoles": {"roles": ["organizer"]},
    "refundOrder": {"reason": "mine now"},
    "checkoutHold": {},
    "setQueuePowDifficulty": {"difficulty": 0},
    "transferTicket": {"email": "someone@example.com"},
    "createEventWebhook": {
        "url": "https://hooks.example.com/onsale",
        "topics": ["order.confirmed"],
    },
    "inviteMember": {"email": "newcomer@example.com", "role": "owner"},
    "changeMemberRole": {"role": "owner"},
    "duplicateEvent": {},
    "createTicketType": {"code": "WALK", "name": "Walk", "price_cents": 100, "quota": 1},
    "replaceTicketType": {"code": "ADULT", "name": "Taken", "price_cents": 1, "quota": 1},
}

# What each organizer operation needs of a member's role in the event's organization; None:
# any member. The walk's team pass checks each role allowed or refused (403) on each, by what
# each role is promised (tests/support/roles.py), not by the server's own table.
ROLE_NEEDS: dict[str, str | None] = {
    **dict.fromkeys(
        [
            "getEventStats", "exportQueueEntrants", "exportEventOrders", "getOrder",
            "listCheckinConflicts", "listScanners", "listEventMoves", "listEventAudit",
            "listOrgAudit", "getLiveSale", "getAdmissionControl", "getFunnelReport",
            "getSalesReport", "getOccupancyReport", "getRevenueReport", "getAttendeeSettings",
            "exportAttendees", "exportPhaseEntrants", "exportSeatMap", "listEventWebhooks",
            "listEventWebhookDeliveries", "listDiscounts", "getEventMoney",
        ],
        "read",
    ),
    **dict.fromkeys(
        [
            "patchEvent", "publishEvent", "pauseEvent", "resumeEvent", "unpublishEvent",
            "archiveEvent", "duplicateEvent", "setQueuePowDifficulty", "changeSectionCapacity",
            "rotateScannerKey", "createCheckinList", "resolveCheckinConflict", "grantScanner",
            "revokeScanner", "setMoveRules", "setAdmissionTargets", "putAttendeeSettings",
            "createPhase", "deletePhase", "exportPhaseCodes", "createPhaseCodes",
            "importPhaseCodes", "putPhaseMembers", "runDraw", "refillDraw", "importSeatMap",
            "blockSeats", "unblockSeats", "createEventWebhook", "deleteEventWebhook",
            "replayEventWebhookDelivery", "createDiscount", "disableDiscount", "putEventMoney",
            "createTicketType", "replaceTicketType", "deleteTicketType",
        ],
        "edit",
    ),
    "refundOrder": "refund",
    "listCheckinLists": "scan",
    "getCheckinData": "scan",
    **dict.fromkeys(
        ["inviteMember", "revokeInvitation", "changeMemberRole", "removeMember"], "members"
    ),
    "getTeam": None,
    # The seller on receipts: every member reads it, only the owner changes it.
    "getOrgSeller": None,
    "putOrgSeller": "payouts",
}  # fmt: skip
# Operations that also need the organizer role of the account itself (an organizer's own
# catch-all webhooks, which belong to no event, and admin): a team member without it is
# refused whatever its role.
ORGANIZER_ONLY = {
    "deleteOrganizerWebhook", "listOrganizerWebhookDeliveries", "replayOrganizerWebhookDelivery",
    "grantRoles", "revokeRole", "resetUserTotp",
}  # fmt: skip
# A fan's operations (public views, the queue, holds, tickets): a member uses them as a fan.
FAN_FACING = {
    "getEvent", "getQueueStatus", "joinQueue", "leaveQueue", "getQueueChallenge",
    "streamQueueStatus", "listPhases", "registerForDraw", "getDrawRegistration", "getDraw",
    "getRoomSnapshot", "createHold", "getHold", "releaseHold", "getSectionSeats", "checkoutHold",
    "reportPaymentConfirmed", "getScannerKeys", "cancelMyOrder", "transferTicket",
    "acceptTransfer", "cancelTransfer", "listTicketForResale", "getResaleListing",
    "withdrawResale", "getMoveRules", "getEventCalendar", "getWaitlistStatus", "joinWaitlist",
    "leaveWaitlist", "getParty", "createParty", "leaveParty", "joinParty", "getHoldPrice",
    "getOrderReceipt", "getOrderAttendees", "putOrderAttendees", "listTicketTypes",
}  # fmt: skip
# A 404 that says the caller is outside: wrong for a member whose role allows the operation.
OUTSIDER_404 = {"Event not found", "Organization not found", "Order not found"}


async def team_member(
    client: httpx.AsyncClient, settings: Settings, owner: User, org_id: str, role: str
) -> User:
    """An account (no organizer role) that joined the owner's organization with `role`."""
    api = Api(client, settings.database_url)
    person = await api.user()
    r = await client.post(
        f"/api/v1/orgs/{org_id}/invitations",
        json={"email": person.email, "role": role},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    token = invitations.token(settings.secret_key, r.json()["invitation_id"], person.email)
    r = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=person.headers
    )
    assert r.status_code == 200, r.text
    return person


def sample_body(operation: dict[str, Any], components: dict[str, Any]) -> Any:
    """A small valid body from the operation's JSON schema (so validation does not answer first)."""
    if operation.get("operationId") in SAMPLE_BODIES:
        return SAMPLE_BODIES[operation["operationId"]]
    content = (operation.get("requestBody") or {}).get("content", {})
    schema = (content.get("application/json") or {}).get("schema")
    return None if schema is None else example(schema, components)


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return example(options[0], components) if options else None
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return {k: example(props[k], components) for k in required if k in props}
    if kind == "array":
        return [example(schema.get("items", {}), components)] * max(1, schema.get("minItems", 0))
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "string":
        if schema.get("format") == "date-time":
            return (datetime.now(UTC) + timedelta(days=1)).isoformat()
        return "x" * max(1, schema.get("minLength", 1))
    return None


@pytest.mark.slow
async def test_bola_walk_every_id_bearing_operation(settings: Settings) -> None:
    """Every operation with an id in its path, called by a second fan and a second organizer on
    the first fan's and first organizer's things, is 403 or 404; then each role of the first
    organizer's team is allowed where its role grants the operation and refused (403) where it
    does not. New endpoints join by themselves: the walk reads the live OpenAPI document (and
    a new one must be placed in ROLE_NEEDS, ORGANIZER_ONLY or FAN_FACING)."""
    with api_process(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            api = Api(client, settings.database_url)
            org1, org2 = await api.user("organizer"), await api.user("organizer")
            fan1, fan2 = await api.user(), await api.user()
            draft = await api.event(org1, publish=False)
            live_event = await api.event(org1)
            now = datetime.now(UTC)
            r = await client.post(
                f"/api/v1/events/{draft['event_id']}/phases",
                json={
                    "name": "Draw",
                    "audience": "draw",
                    "opens_at": (now + timedelta(days=1)).isoformat(),
                    "closes_at": (now + timedelta(days=2)).isoformat(),
                },
                headers=org1.headers,
            )
            assert r.status_code == 201, r.text
            phase_id = r.json()["phase_id"]
            r = await client.post(
                f"/api/v1/events/{draft['event_id']}/discounts",
                json={"code": "BOLA", "percent_off": 10, "max_uses": 5},
                headers=org1.headers,
            )
            assert r.status_code == 201, r.text
            discount_id = r.json()["discount_id"]
            r = await client.post(
                f"/api/v1/events/{draft['event_id']}/sections/FLOOR/types",
                json={"code": "ADULT", "name": "Adult", "price_cents": 100, "quota": 1},
                headers=org1.headers,
            )
            assert r.status_code == 201, r.text
            r = await hold(client, live_event["event_id"], fan1)
            assert r.status_code == 201, r.text
            hold_id = r.json()["hold_id"]
            order_id = str(uuid.uuid4())
            ticket_id, transfer_id, listing_id = (str(uuid.uuid4()) for _ in range(3))
            conn = await asyncpg.connect(settings.database_url)
            try:
                await conn.execute(
                    "INSERT INTO orders (order_id, event_id, user_id, hold_id, section_code,"
                    " quantity, status, amount_cents, currency)"
                    " VALUES ($1, $2, $3, 'h-bola', 'FLOOR', 1, 'confirmed', 5000, 'EUR')",
                    uuid.UUID(order_id),
                    uuid.UUID(live_event["event_id"]),
                    uuid.UUID(fan1.user_id),
                )
                # fan1's ticket, offered to a third person and listed for resale.
                await conn.execute(
                    "INSERT INTO tickets (ticket_id, order_id, event_id, section_code, seq, code)"
                    " VALUES ($1, $2, $3, 'FLOOR', 1, 'T1.bola')",
                    uuid.UUID(ticket_id),
                    uuid.UUID(order_id),
                    uuid.UUID(live_event["event_id"]),
                )
                await conn.execute(
                    "INSERT INTO ticket_transfers (transfer_id, ticket_id, event_id, from_user_id,"
                    " to_email) VALUES ($1, $2, $3, $4, 'third@example.com')",
                    uuid.UUID(transfer_id),
                    uuid.UUID(ticket_id),
                    uuid.UUID(live_event["event_id"]),
                    uuid.UUID(fan1.user_id),
                )
                await conn.execute(
                    "INSERT INTO resale_listings (listing_id, ticket_id, event_id, section_code,"
                    " seller_id, order_id, payment_intent_id, price_cents, currency)"
                    " VALUES ($1, $2, $3, 'FLOOR', $4, $5, 'pi_bola', 5000, 'EUR')",
                    uuid.UUID(listing_id),
                    uuid.UUID(ticket_id),
                    uuid.UUID(live_event["event_id"]),
                    uuid.UUID(fan1.user_id),
                    uuid.UUID(order_id),
                )
            finally:
                await conn.close()
            org_id = (await client.get("/api/v1/orgs", headers=org1.headers)).json()["items"][0][
                "org_id"
            ]
            r = await client.post(
                f"/api/v1/orgs/{org_id}/invitations",
                json={"email": "pending@example.com", "role": "viewer"},
                headers=org1.headers,
            )
            assert r.status_code == 201, r.text
            ids = {
                "org_id": org_id,
                "invitation_id": r.json()["invitation_id"],
                "event_id": draft["event_id"],
                "hold_id": hold_id,
                "order_id": order_id,
                "ticket_id": ticket_id,
                "transfer_id": transfer_id,
                "listing_id": listing_id,
                "user_id": fan1.user_id,
                "code": "FLOOR",
                "role": "organizer",
                # No webhook exists under this id: the walk checks the intruders get no 2xx.
                "webhook_id": str(uuid.uuid4()),
                "delivery_id": "1",
                "phase_id": phase_id,
                "discount_id": discount_id,
                "type_code": "ADULT",
                # A scanner grant names an account by email (it may not exist yet).
                "email": "door@example.com",
            }
            doc = (await client.get("/schema/openapi.json")).json()
            components = doc.get("components", {}).get("schemas", {})
            walked = 0
            failures = []
            for path, item in doc["paths"].items():
                if "{" not in path:
                    continue
                for method, operation in item.items():
                    if method not in ("get", "post", "put", "patch", "delete"):
                        continue
                    url = path
                    for name, value in ids.items():
                        url = url.replace("{" + name + "}", value)
                    assert "{" not in url, f"no id for {path}: add it to the walk"
                    body = sample_body(operation, components)
                    for intruder in (fan2, org2):
                        headers = {**intruder.headers, "Idempotency-Key": uuid.uuid4().hex}
                        if operation.get("operationId") == "createHold":
                            headers["X-Admission-Token"] = "x"
                        r = await client.request(
                            method.upper(),
                            url,
                            json=body,
                            headers=headers,
                            params={"format": "json"} if "orders" in url else None,
                        )
                        walked += 1
                        if r.status_code not in (403, 404):
                            failures.append(
                                f"{method.upper()} {path} as {intruder.email}: "
                                f"{r.status_code} {r.text[:200]}"
                            )
            # The public event view of a published event is not BOLA; a draft is invisible.
            assert walked >= 30
            assert failures == [], "\n".join(failures)

            # The team pass: each role of org1's team on each operation, refused roles first
            # (an allowed one may change what it walks on: publish, archive, revoke).
            order = ("viewer", "scanner", "box_office", "manager", "owner")
            members = {
                role: await team_member(client, settings, org1, org_id, role) for role in order
            }
            checked = 0
            for path, item in doc["paths"].items():
                if "{" not in path:
                    continue
                for method, operation in item.items():
                    if method not in ("get", "post", "put", "patch", "delete"):
                        continue
                    op = operation.get("operationId")
                    placed = op in ROLE_NEEDS or op in ORGANIZER_ONLY or op in FAN_FACING
                    assert placed, f"place {op} in ROLE_NEEDS, ORGANIZER_ONLY or FAN_FACING"
                    if op in FAN_FACING:
                        continue
                    url = path
                    for name, value in ids.items():
                        url = url.replace("{" + name + "}", value)
                    for role in order:
                        headers = {**members[role].headers, "Idempotency-Key": uuid.uuid4().hex}
                        r = await client.request(
                            method.upper(),
                            url,
                            json=sample_body(operation, components),
                            headers=headers,
                            params={"format": "json"} if "orders" in url else None,
                        )
                        checked += 1
                        need = ROLE_NEEDS.get(op, "")
                        allowed = op not in ORGANIZER_ONLY and (promised(role, need))
                        detail = r.json().get("detail") if r.status_code >= 400 else None
                        if allowed and (
                            r.status_code == 403
                            or (r.status_code == 404 and detail in OUTSIDER_404)
                        ):
                            failures.append(f"{method.upper()} {path} refused to {role}: {r.text}")
                        if not allowed and r.status_code != 403:
                            failures.append(
                                f"{method.upper()} {path} allowed to {role}: "
                                f"{r.status_code} {r.text[:200]}"
                            )
            assert checked >= 5 * len(ROLE_NEEDS)
            assert failures == [], "\n".join(failures)
            # The owners still reach their own things.
            r = await client.get(f"/api/v1/holds/{hold_id}", headers=fan1.headers)
            assert r.status_code == 200
            r = await client.get(f"/api/v1/events/{draft['event_id']}", headers=org1.headers)
            assert r.status_code == 200


__all__ = ["event_body"]
