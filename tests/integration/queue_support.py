"""Helpers for the waiting-room tests: many fans fast, events with a room, the admitter."""

from __future__ import annotations

import time
import uuid
from typing import Any

import asyncpg
from redis.asyncio import Redis

from app.core.ids import new_id
from app.core.redis import create_redis
from app.core.scripts import Scripts
from app.core.security import Principal, hash_password, issue_access_token
from app.core.settings import Settings
from tests.api import User
from waiting_room import admission

_HASH = hash_password("correct horse battery")


async def fast_fans(settings: Settings, n: int) -> list[User]:
    """n fan accounts inserted straight into Postgres (one argon2 hash), with JWTs."""
    ids = [new_id() for _ in range(n)]
    emails = [f"fan-{uuid.uuid4().hex[:12]}@example.com" for _ in range(n)]
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.executemany(
            "INSERT INTO users (user_id, email, password_hash) VALUES ($1, $2, $3)",
            [(uuid.UUID(i), e, _HASH) for i, e in zip(ids, emails, strict=True)],
        )
    finally:
        await conn.close()
    return [
        User(
            i,
            e,
            "correct horse battery",
            issue_access_token(settings.secret_key, Principal(i, ("fan",)), 3600),
        )
        for i, e in zip(ids, emails, strict=True)
    ]


def room(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "enabled": True,
        "admit_batch_size": 100,
        "admit_interval_s": 1,
        "max_active_shoppers": 1000,
        "session_ttl_s": 900,
        "mode": "fifo",
    }
    body.update(overrides)
    return body


class Admitter:
    """Runs admission ticks in the test process (what the arq cron does)."""

    def __init__(self, settings: Settings) -> None:
        self.redis: Redis = create_redis(settings.redis_url, pool_size=4)
        self.scripts = Scripts(self.redis)

    async def tick(self, event_id: str, now_ms: int | None = None) -> admission.TickResult:
        now = int(time.time() * 1000) if now_ms is None else now_ms
        return await admission.tick(self.scripts, event_id, now)

    async def close(self) -> None:
        await self.redis.aclose()
