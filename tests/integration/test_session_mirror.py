"""Ended sessions reach every API process through its mirror (app.auth.revocations),
so the authenticated hot paths check a session without a Redis round trip."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from app.asgi import create_app
from app.auth import revocations, sessions
from app.core.security import read_access_token
from app.core.settings import Settings
from tests.support.api import Api, User
from tests.support.holds import admit, create_fans
from tests.support.queue import room
from tests.support.redis_clients import connect
from tests.support.roundtrips import round_trips

LOGIN = "/api/v1/auth/login"


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = connect(settings.redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def login(api: Api, user: User) -> dict[str, Any]:
    r = await api.client.post(LOGIN, json={"email": user.email, "password": user.password})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def current_mirror(api: Api) -> revocations.Revocations:
    """The app's mirror, once it has read the feed."""
    redis = api.client.app.state.resources.redis
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        mirror = revocations.mirror_of(redis)
        if mirror is not None and mirror.current():
            return mirror
        await asyncio.sleep(0.02)
    raise AssertionError("the app's mirror of ended sessions never became current")


async def test_a_hold_after_the_session_cache_lapsed_is_still_one_round_trip(
    api: Api, settings: Settings, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the mirror, a fan's session is read from Redis every 2 s (one hold in five
    in `onsale bench` carried that EXISTS); with it, never on the request."""
    org = await api.user("organizer")
    ev = (await api.event(org))["event_id"]
    (fan,) = await create_fans(settings.database_url, settings.secret_key, 1)
    await admit(redis, settings.secret_key, ev, [fan])
    await current_mirror(api)

    async def one_hold() -> list[str]:
        with round_trips(monkeypatch) as sent:
            r = await api.client.post(
                f"/api/v1/events/{ev}/holds",
                json={"section": "FLOOR", "quantity": 1},
                headers=fan.headers(ev),
            )
        assert r.status_code == 201, r.text
        return sent

    await one_hold()  # loads the script, opens the connection
    sessions._CHECKED.clear()  # as 2 s later: no per-session check is cached
    assert await one_hold() == ["EVALSHA"]


async def test_queue_status_after_the_session_cache_lapsed_reads_no_session_mark(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await api.user("organizer")
    ev = (await api.event(org, waiting_room=room()))["event_id"]
    fan = await api.user()
    url = f"/api/v1/events/{ev}/queue"
    assert (await api.client.post(url, headers=fan.headers)).status_code == 201
    await current_mirror(api)
    sessions._CHECKED.clear()
    with round_trips(monkeypatch) as sent:
        r = await api.client.get(url, headers=fan.headers)
    assert r.status_code == 200, r.text
    assert "EXISTS" not in sent, sent


async def test_a_session_ended_on_one_process_is_refused_by_another_within_two_seconds(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await api.user()
    tokens = await login(api, user)
    here_redis = api.client.app.state.resources.redis

    def noted_only_here(session_ids: list[str]) -> None:
        # Two apps share this test process; as two API processes, the one that ends a
        # session notes it in its own mirror only: the other learns it from the feed.
        mirror = revocations.mirror_of(here_redis)
        if mirror is not None:
            mirror.note(session_ids)

    monkeypatch.setattr(revocations, "note_everywhere", noted_only_here)
    await current_mirror(api)
    other_app = create_app(settings)
    async with AsyncTestClient(app=other_app) as other:
        me = await other.get("/api/v1/me", headers=bearer(tokens["access_token"]))
        assert me.status_code == 200, me.text
        r = await api.client.post(
            "/api/v1/auth/logout",
            json={"refresh_token": tokens["refresh_token"]},
            headers=bearer(tokens["access_token"]),
        )
        assert r.status_code == 204, r.text
        ended_at = time.monotonic()
        # At once on the process that ended it.
        here = await api.client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
        assert here.status_code == 401, here.text
        while True:
            there = await other.get("/api/v1/me", headers=bearer(tokens["access_token"]))
            if there.status_code == 401:
                break
            assert there.status_code == 200, there.text
            assert time.monotonic() - ended_at < sessions.REVOCATION_RECHECK_S + 0.5
            await asyncio.sleep(0.05)
        assert there.json()["code"] == "unauthorized"


async def test_a_mirror_that_fell_behind_is_not_trusted(
    api: Api, settings: Settings, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process whose mirror is stale (Redis unreadable, poller stopped) reads the
    session's own mark, so an ended session is refused all the same."""
    user = await api.user()
    tokens = await login(api, user)
    mirror = await current_mirror(api)
    assert (await api.client.get("/api/v1/me", headers=bearer(tokens["access_token"]))).is_success
    # Ended behind the mirror's back (another process's write the feed never delivered).
    monkeypatch.setattr(revocations, "STALE_AFTER_S", 0.0)
    assert not mirror.current()
    await sessions.mark_ended(redis, settings, [session_of(settings, tokens["access_token"])])
    mirror._ended.clear()
    sessions._CHECKED.clear()
    with round_trips(monkeypatch) as sent:
        r = await api.client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert r.status_code == 401, r.text
    assert "EXISTS" in sent, sent


def session_of(settings: Settings, token: str) -> str:
    principal = read_access_token(settings.secret_key, token)
    assert principal is not None
    return principal.session_id
