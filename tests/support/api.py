"""Test helpers that speak the HTTP API: users with roles, events on sale now."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from app.core.ids import new_id
from app.core.security import Principal, hash_password, issue_access_token
from app.core.settings import Settings
from tests.support.totp import second_factor

PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)


@dataclass
class User:
    user_id: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def bulk_fans(settings: Settings, n: int) -> list[User]:
    """n fan accounts written straight into Postgres, with access tokens.

    One argon2 hash serves them all: registering hundreds of fans over HTTP
    would spend minutes in argon2 and measure nothing the test is about.
    """
    ids = [new_id() for _ in range(n)]
    emails = [f"fan-{uuid.uuid4().hex[:12]}@example.com" for _ in range(n)]
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.executemany(
            "INSERT INTO users (user_id, email, password_hash) VALUES ($1, $2, $3)",
            [(uuid.UUID(i), e, _PASSWORD_HASH) for i, e in zip(ids, emails, strict=True)],
        )
    finally:
        await conn.close()
    return [
        User(i, e, PASSWORD, issue_access_token(settings.secret_key, Principal(i, ("fan",)), 3600))
        for i, e in zip(ids, emails, strict=True)
    ]


def event_body(**overrides: Any) -> dict[str, Any]:
    """An EventIn that is on sale now, with one 100-seat section unless overridden."""
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "name": "Test Night",
        "venue": "Test Hall",
        "starts_at": (now + timedelta(days=10)).isoformat(),
        "timezone": "Europe/Berlin",
        "onsale_at": (now - timedelta(minutes=5)).isoformat(),
        "offsale_at": (now + timedelta(days=9)).isoformat(),
        "currency": "EUR",
        "hold_ttl_s": 600,
        "max_per_order": 6,
        "max_per_user": 6,
        "sections": [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 100}],
        "waiting_room": {"enabled": False},
    }
    body.update(overrides)
    return body


class Api:
    """Works over Litestar's AsyncTestClient or an httpx.AsyncClient on a live server."""

    def __init__(self, client: Any, database_url: str) -> None:
        self.client = client
        self.database_url = database_url
        self.totp_secrets: dict[str, str] = {}

    async def user(self, role: str = "fan", email: str | None = None) -> User:
        user_id, email = await self.register(role, email)
        return User(user_id, email, PASSWORD, await self.login(email, PASSWORD))

    async def register(
        self, role: str = "fan", email: str | None = None, **profile: str
    ) -> tuple[str, str]:
        """(user_id, email) of a new account with this role, registered over HTTP with
        PASSWORD but not signed in (a browser test signs in itself)."""
        email = email or f"{role}-{uuid.uuid4().hex[:10]}@example.com"
        r = await self.client.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD, **profile}
        )
        assert r.status_code == 201, r.text
        user_id: str = r.json()["user_id"]
        if role != "fan":
            conn = await asyncpg.connect(self.database_url)
            try:
                await conn.execute(
                    "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)",
                    uuid.UUID(user_id),
                    role,
                )
            finally:
                await conn.close()
        return user_id, email

    async def login(self, email: str, password: str) -> str:
        r = await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert r.status_code == 200, r.text
        if "challenge_token" in r.json():  # admins sign in with a second factor
            return await second_factor(self.client, r.json(), self.totp_secrets, email)
        token: str = r.json()["access_token"]
        return token

    async def users(self, n: int, role: str = "fan") -> list[User]:
        return [await self.user(role) for _ in range(n)]

    async def event(
        self, organizer: User, *, publish: bool = True, **overrides: Any
    ) -> dict[str, Any]:
        r = await self.client.post(
            "/api/v1/events", json=event_body(**overrides), headers=organizer.headers
        )
        assert r.status_code == 201, r.text
        event: dict[str, Any] = r.json()
        if publish:
            r = await self.client.post(
                f"/api/v1/events/{event['event_id']}/publish", headers=organizer.headers
            )
            assert r.status_code == 200, r.text
            event = r.json()
        return event


def assert_problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["title"]
    return body
