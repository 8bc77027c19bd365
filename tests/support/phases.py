"""Test helpers for sale phases: phases on an event, joins with codes, verified fans."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from app.phases import cache, room
from tests.support.api import Api, User
from tests.support.redis_clients import connect


def window(start_min: float = -5, end_min: float = 60) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "opens_at": (now + timedelta(minutes=start_min)).isoformat(),
        "closes_at": (now + timedelta(minutes=end_min)).isoformat(),
    }


async def phase(api: Api, org: User, event_id: str, **body: Any) -> dict[str, Any]:
    body = {"name": "Presale", "audience": "code", **window(), **body}
    r = await api.client.post(f"/api/v1/events/{event_id}/phases", json=body, headers=org.headers)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def codes(
    api: Api, org: User, event_id: str, phase_id: str, count: int, uses: int = 1
) -> list[str]:
    r = await api.client.post(
        f"/api/v1/events/{event_id}/phases/{phase_id}/codes",
        json={"count": count, "uses": uses},
        headers=org.headers,
    )
    assert r.status_code == 201, r.text
    out: list[str] = r.json()["codes"]
    return out


async def join(api: Api, event_id: str, fan: User, code: str | None = None) -> Any:
    body = {"access_code": code} if code is not None else None
    return await api.client.post(f"/api/v1/events/{event_id}/queue", json=body, headers=fan.headers)


async def verify_emails(database_url: str, users: list[User]) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE users SET email_verified_at = now() WHERE user_id = ANY($1::uuid[])",
            [uuid.UUID(u.user_id) for u in users],
        )
    finally:
        await conn.close()


async def close_registration(database_url: str, phase_id: str) -> None:
    """Move a draw's registration deadline into the past (as if the time had come)."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE event_phases SET registration_closes_at = now() - interval '1 second'"
            " WHERE phase_id = $1",
            uuid.UUID(phase_id),
        )
    finally:
        await conn.close()


async def move_phases(
    database_url: str, redis_url: str, event_id: str, sql: str, *args: Any
) -> None:
    """Change the event's phases in Postgres (a window moved by hand, as a test's clock) and
    mirror them where the routes would: the cached list and the room's schedule in Redis,
    which the join and status scripts check a place's phase against."""
    conn = await asyncpg.connect(database_url)
    redis = connect(redis_url)
    try:
        await conn.execute(sql, *args)
        await room.sync(conn, redis, event_id)
    finally:
        await conn.close()
        await redis.aclose()
    cache.forget(event_id)
