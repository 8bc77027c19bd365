"""Helpers for the waiting-list tests: a small event to sell out, seats held by an admitted fan,
and one event's waiting list over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.resources import Resources
from tests.support.api import Api, User
from tests.support.holds import Fan, admit


def floor(capacity: int) -> list[dict[str, Any]]:
    """The one section (FLOOR, 50.00 a seat) these tests sell out."""
    return [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": capacity}]


async def small_event(api: Api, capacity: int, **overrides: Any) -> tuple[User, dict[str, Any]]:
    """An organizer and its published event, on sale now, with `capacity` FLOOR seats."""
    org = await api.user("organizer")
    return org, await api.event(org, sections=floor(capacity), **overrides)


async def hold_seats(
    client: Any, resources: Resources, event_id: str, fan: Fan, quantity: int
) -> str:
    """Admit the fan as the waiting room would, then hold FLOOR seats over HTTP: the hold id."""
    await admit(resources.redis, resources.settings.secret_key, event_id, [fan])
    r = await client.post(
        f"/api/v1/events/{event_id}/holds",
        json={"section": "FLOOR", "quantity": quantity},
        headers=fan.headers(event_id),
    )
    assert r.status_code == 201, r.text
    hold_id: str = r.json()["hold_id"]
    return hold_id


@dataclass
class WaitingList:
    """One event's waiting list, as any caller (their headers) sees it."""

    client: Any
    event_id: str

    @property
    def path(self) -> str:
        return f"/api/v1/events/{self.event_id}/waitlist"

    async def join(self, headers: dict[str, str], quantity: int, section: str = "FLOOR") -> Any:
        return await self.client.post(
            self.path, json={"section": section, "quantity": quantity}, headers=headers
        )

    async def status(self, headers: dict[str, str]) -> dict[str, Any]:
        r = await self.client.get(self.path, headers=headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body
