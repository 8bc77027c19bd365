"""Sign-in sessions, security round 2: admin rights only with a second factor, a refresh
grace, demotion and logout ending what they should (stream tokens included)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.auth import sessions
from app.core.resources import Resources
from app.core.settings import Settings
from tests.support.api import PASSWORD, Api, assert_problem
from tests.support.totp import fresh_code


async def _sign_in(api: Api, email: str) -> dict[str, Any]:
    r = await api.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert "access_token" in body, body
    return body


async def _refresh(api: Api, token: str) -> Any:
    return await api.client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _grant(database_url: str, user_id: str, role: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", uuid.UUID(user_id), role
        )
    finally:
        await conn.close()


async def test_promoted_account_gets_no_admin_role_at_refresh_until_it_steps_up(
    api: Api, database_url: str
) -> None:
    """Finding 3: a password-only session of an account promoted later stays without admin
    rights at refresh; a second factor (step-up) gives them, and the old session ends."""
    user_id, email = await api.register()
    tokens = await _sign_in(api, email)
    await _grant(database_url, user_id, "admin")

    r = await _refresh(api, tokens["refresh_token"])
    assert r.status_code == 200, r.text
    refreshed = r.json()
    headers = _bearer(refreshed["access_token"])
    status = (await api.client.get("/api/v1/auth/totp", headers=headers)).json()
    assert status["enabled"] is False
    assert status["required"] is True
    assert_problem(await api.client.get("/api/v1/admin/users", headers=headers), 403, "forbidden")

    # The account enrols an authenticator with this session; that alone grants nothing.
    r = await api.client.post("/api/v1/auth/totp/enrol", headers=headers)
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    r = await api.client.post(
        "/api/v1/auth/totp/confirm", json={"code": fresh_code(secret)}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert_problem(await api.client.get("/api/v1/admin/users", headers=headers), 403, "forbidden")
    r = await _refresh(api, refreshed["refresh_token"])
    assert r.status_code == 200, r.text
    again = _bearer(r.json()["access_token"])
    assert_problem(await api.client.get("/api/v1/admin/users", headers=again), 403, "forbidden")

    wrong = await api.client.post("/api/v1/auth/step-up", json={"code": "000000"}, headers=again)
    assert_problem(wrong, 401, "unauthorized")
    r = await api.client.post(
        "/api/v1/auth/step-up", json={"code": fresh_code(secret)}, headers=again
    )
    assert r.status_code == 200, r.text
    stepped = r.json()
    assert set(stepped) == {"access_token", "token_type", "expires_in", "refresh_token"}
    admin = _bearer(stepped["access_token"])
    assert (await api.client.get("/api/v1/admin/users", headers=admin)).status_code == 200
    # Its refresh keeps the admin role: the new session was stepped up.
    r = await _refresh(api, stepped["refresh_token"])
    assert r.status_code == 200, r.text
    assert (
        await api.client.get("/api/v1/admin/users", headers=_bearer(r.json()["access_token"]))
    ).status_code == 200
    # The password-only session ended with the step-up.
    assert_problem(await api.client.get("/api/v1/me", headers=again), 401, "unauthorized")


async def test_step_up_needs_a_signed_in_session(api: Api) -> None:
    r = await api.client.post("/api/v1/auth/step-up", json={"code": "123456"})
    assert_problem(r, 401, "unauthorized")


async def test_a_second_refresh_within_the_grace_gets_the_same_pair(api: Api) -> None:
    """Finding 10: two tabs (or a retry) refreshing with one token keep the session."""
    _, email = await api.register()
    tokens = await _sign_in(api, email)
    first = await _refresh(api, tokens["refresh_token"])
    second = await _refresh(api, tokens["refresh_token"])
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert first.json() == second.json()
    pair = first.json()
    assert (await api.client.get("/api/v1/me", headers=_bearer(pair["access_token"]))).is_success
    r = await _refresh(api, pair["refresh_token"])
    assert r.status_code == 200, r.text
    newest = r.json()

    # Real reuse still ends the session: a token older than the last rotation...
    assert_problem(await _refresh(api, tokens["refresh_token"]), 401, "unauthorized")
    assert_problem(await _refresh(api, newest["refresh_token"]), 401, "unauthorized")
    r = await api.client.get("/api/v1/me", headers=_bearer(newest["access_token"]))
    assert_problem(r, 401, "unauthorized")


async def test_a_spent_refresh_token_after_the_grace_ends_the_session(
    api: Api, database_url: str
) -> None:
    _, email = await api.register()
    tokens = await _sign_in(api, email)
    r = await _refresh(api, tokens["refresh_token"])
    assert r.status_code == 200, r.text
    pair = r.json()
    # The rotation happened longer ago than the grace (moved back instead of waited for).
    conn = await asyncpg.connect(database_url)
    try:
        moved = await conn.execute(
            "UPDATE refresh_tokens SET used_at = used_at - make_interval(secs => $1)"
            " WHERE used_at IS NOT NULL",
            sessions.REFRESH_GRACE_S + 1,
        )
        assert moved != "UPDATE 0"
    finally:
        await conn.close()
    assert_problem(await _refresh(api, tokens["refresh_token"]), 401, "unauthorized")
    assert_problem(await _refresh(api, pair["refresh_token"]), 401, "unauthorized")


async def test_concurrent_refreshes_of_one_token_issue_one_pair_and_keep_the_session(
    api: Api, resources: Resources, settings: Settings
) -> None:
    """The row lock (`FOR UPDATE` in refresh_token_for_update) makes concurrent uses of one
    token queue up: one rotates, the others get the same pair in the grace. Without it they
    all rotate at once, and the successor is inserted twice."""
    _, email = await api.register()
    for _ in range(5):
        tokens = await _sign_in(api, email)
        results = await asyncio.gather(
            *(
                sessions.refresh(resources.pool, resources.redis, settings, tokens["refresh_token"])
                for _ in range(6)
            ),
            return_exceptions=True,
        )
        failures = [r for r in results if not isinstance(r, sessions.Tokens)]
        assert failures == []
        assert len({(r.access_token, r.refresh_token) for r in results}) == 1  # type: ignore[union-attr]
        pair = results[0]
        assert isinstance(pair, sessions.Tokens)
        # The session survives: its newest token rotates and its access token works.
        me = await api.client.get("/api/v1/me", headers=_bearer(pair.access_token))
        assert me.status_code == 200, me.text
        r = await _refresh(api, pair.refresh_token)
        assert r.status_code == 200, r.text


async def test_removing_a_role_ends_the_accounts_sessions(api: Api) -> None:
    """Finding 12: a demoted admin (or organizer) keeps no token with the old role."""
    boss = await api.user("admin")
    demoted = await api.user("admin")
    organizer = await api.user("organizer")
    assert (await api.client.get("/api/v1/admin/users", headers=demoted.headers)).is_success
    r = await api.client.delete(
        f"/api/v1/admin/users/{demoted.user_id}/roles/admin", headers=boss.headers
    )
    assert r.status_code == 204, r.text
    assert_problem(await api.client.get("/api/v1/me", headers=demoted.headers), 401, "unauthorized")
    r = await api.client.delete(
        f"/api/v1/admin/users/{organizer.user_id}/roles/organizer", headers=boss.headers
    )
    assert r.status_code == 204, r.text
    assert_problem(
        await api.client.get("/api/v1/me", headers=organizer.headers), 401, "unauthorized"
    )
    # The admin who did it keeps working.
    assert (await api.client.get("/api/v1/me", headers=boss.headers)).is_success


async def test_stream_token_ends_with_its_session(
    api: Api, client: AsyncTestClient[Litestar]
) -> None:
    """Finding 9: after logout, the stream token handed out in that session opens nothing."""
    org = await api.user("organizer")
    # No waiting room: the stream sends one status and ends (see test_web).
    ev = (await api.event(org))["event_id"]
    fan = await api.user()
    joined = await client.post(f"/api/v1/events/{ev}/queue", headers=fan.headers)
    assert joined.status_code == 201, joined.text
    token = joined.json()["stream_token"]
    r = await client.get(f"/api/v1/events/{ev}/queue/stream?token={token}")
    assert r.status_code == 200, r.text
    assert (await client.post("/api/v1/auth/logout", headers=fan.headers)).status_code == 204
    r = await client.get(f"/api/v1/events/{ev}/queue/stream?token={token}")
    assert_problem(r, 401, "unauthorized")
