"""The demo event `onsale dev --demo` creates: on sale now, with a fan ready to buy."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import httpx

from app.auth import service as auth_service
from app.core.clock import utcnow
from app.core.db import create_pool
from app.core.errors import AppError
from app.core.settings import Settings

ORGANIZER = ("organizer@demo.onsale.dev", "demo-organizer-pass")
FAN = ("fan@demo.onsale.dev", "demo-fan-pass")


async def _ensure_user(settings: Settings, email: str, password: str, role: str) -> None:
    pool = await create_pool(settings.database_url, size=2)
    try:
        with contextlib.suppress(AppError):  # already there from an earlier start
            await auth_service.create_user(pool, email, password, name=role.title(), roles=(role,))
    finally:
        await pool.close()


async def create_demo(settings: Settings, base_url: str) -> dict[str, Any]:
    await _ensure_user(settings, *ORGANIZER, "organizer")
    await _ensure_user(settings, *FAN, "fan")
    now = utcnow()
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": ORGANIZER[0], "password": ORGANIZER[1]}
        )
        login.raise_for_status()
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        body = {
            "name": "Demo Night",
            "venue": "Onsale Arena",
            "starts_at": (now + timedelta(days=30)).isoformat(),
            "timezone": "Europe/Berlin",
            "onsale_at": (now - timedelta(minutes=1)).isoformat(),
            "offsale_at": (now + timedelta(days=29)).isoformat(),
            "currency": "EUR",
            "sections": [
                {"code": "FLOOR", "name": "Floor", "price_cents": 8900, "capacity": 500},
                {"code": "BALCONY", "name": "Balcony", "price_cents": 5900, "capacity": 300},
            ],
            "waiting_room": {"enabled": True, "admit_batch_size": 50, "admit_interval_s": 2},
        }
        created = await client.post("/api/v1/events", json=body, headers=auth)
        created.raise_for_status()
        event_id = created.json()["event_id"]
        published = await client.post(f"/api/v1/events/{event_id}/publish", headers=auth)
        published.raise_for_status()
        # The demo fan can try every ticket move: cancel up to a day before, transfer once
        # (not in the last two hours), resell at face value for a 1.00 fee.
        rules = {
            "cancel_enabled": True,
            "cancel_until_s": 86400,
            "transfer_enabled": True,
            "transfer_max_per_ticket": 1,
            "transfer_cutoff_s": 7200,
            "resale_enabled": True,
            "resale_fee_cents": 100,
        }
        moves = await client.put(f"/api/v1/events/{event_id}/move-rules", json=rules, headers=auth)
        moves.raise_for_status()
    return {
        "demo_event_id": event_id,
        "organizer": {"email": ORGANIZER[0], "password": ORGANIZER[1]},
        "fan": {"email": FAN[0], "password": FAN[1]},
        "try": f"{base_url}/schema/swagger  |  GET {base_url}/api/v1/events/{event_id}",
    }
