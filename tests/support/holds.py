"""Test helpers for holds: many accounts fast, admitted shoppers, inventory checks."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from redis.asyncio import Redis

from app.core import keys
from app.core.ids import new_id
from app.core.security import Principal, hash_password, issue_access_token
from waiting_room import tokens

PASSWORD = "correct horse battery"
# One argon2 hash for every bulk account: hashing 400 passwords would take minutes.
_PASSWORD_HASH = hash_password(PASSWORD)


@dataclass
class Fan:
    user_id: str
    access_token: str
    admission: dict[str, str] = field(default_factory=dict)  # event_id -> admission token

    def headers(self, event_id: str | None = None, **extra: str) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.access_token}", **extra}
        if event_id is not None:
            out["X-Admission-Token"] = self.admission[event_id]
        return out


async def create_fans(database_url: str, secret: str, n: int) -> list[Fan]:
    """n fan accounts inserted straight into Postgres, each with an access token."""
    ids = [new_id() for _ in range(n)]
    conn = await asyncpg.connect(database_url)
    try:
        await conn.executemany(
            "INSERT INTO users (user_id, email, password_hash) VALUES ($1, $2, $3)",
            [(uuid.UUID(i), f"fan-{i}@example.com", _PASSWORD_HASH) for i in ids],
        )
        await conn.executemany(
            "INSERT INTO user_roles (user_id, role) VALUES ($1, 'fan')",
            [(uuid.UUID(i),) for i in ids],
        )
    finally:
        await conn.close()
    return [
        Fan(i, issue_access_token(secret, Principal(user_id=i, roles=("fan",)), 3600)) for i in ids
    ]


async def admit(
    redis: Redis, secret: str, event_id: str, fans: list[Fan], *, ttl_s: int = 900
) -> None:
    """Admit fans to the event as the waiting room would: a live session and a token each."""
    expires_at_ms = int(time.time() * 1000) + ttl_s * 1000
    pipe = redis.pipeline(transaction=False)
    for fan in fans:
        session_id = new_id()
        pipe.zadd(keys.active_sessions(event_id), {session_id: expires_at_ms})
        fan.admission[event_id] = tokens.issue(
            secret, tokens.Admission(event_id, fan.user_id, session_id, expires_at_ms)
        )
    await pipe.execute()


async def inventory(redis: Redis, event_id: str, section: str = "FLOOR") -> dict[str, int]:
    """capacity, available, held, sold of a section, read atomically."""
    raw: dict[str, Any] = await redis.hgetall(keys.inventory(event_id))
    return {
        name: int(raw[f"{section}:{name}"])
        for name in ("capacity", "available", "held", "sold")
        if f"{section}:{name}" in raw
    }


def assert_conserved(inv: dict[str, int]) -> None:
    assert inv["available"] >= 0, inv
    assert inv["held"] >= 0, inv
    assert inv["available"] + inv["held"] + inv["sold"] == inv["capacity"], inv
