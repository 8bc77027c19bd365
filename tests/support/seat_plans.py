"""Seating plans for the browser tests: a small theatre as CSV or as a pretix plan, a seated
event made through the API, and another fan's hold on named seats (the crowd a fan sees)."""

from __future__ import annotations

import json
import string
import uuid
from typing import Any

from tests.support.api import Api, User

ROWS = string.ascii_uppercase[:8]  # A (front) … H (back)
PER_ROW = 12
PRICES = {"Premium": 7900, "Standard": 4900}
ACCESSIBLE = ("H-1", "H-2", "H-11", "H-12")


def category(row: str) -> str:
    return "Premium" if row in "ABC" else "Standard"


def seats() -> list[dict[str, Any]]:
    """The theatre's seats: rows A-H of 12, a slight curve, wheelchair spaces at the back."""
    out = []
    for r, row in enumerate(ROWS):
        for n in range(1, PER_ROW + 1):
            curve = abs(n - (PER_ROW + 1) / 2) ** 2 * 0.6
            out.append(
                {
                    "seat_id": f"{row}-{n}",
                    "row": row,
                    "number": str(n),
                    "category": category(row),
                    "x": 40 * n,
                    "y": 60 + 44 * r - curve,
                    "accessible": f"{row}-{n}" in ACCESSIBLE,
                }
            )
    return out


def theatre_csv(section: str) -> str:
    lines = ["section,row,seat,category,x,y,accessible,price_cents"]
    for s in seats():
        lines.append(
            f"{section},{s['row']},{s['number']},{s['category']},{s['x']},{s['y']:.1f},"
            f"{'true' if s['accessible'] else 'false'},{PRICES[s['category']]}"
        )
    return "\n".join(lines) + "\n"


def theatre_pretix() -> dict[str, Any]:
    """The same theatre as a pretix seating plan (zones -> rows -> seats), prices in the
    `onsale` member."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for s in seats():
        rows.setdefault(s["row"], []).append(
            {
                "seat_guid": s["seat_id"],
                "seat_number": s["number"],
                "position": {"x": s["x"], "y": s["y"]},
                "category": s["category"],
            }
        )
    return {
        "name": "Test Theatre",
        "categories": [
            {"name": "Premium", "color": "#1d4ed8"},
            {"name": "Standard", "color": "#c2410c"},
        ],
        "size": {"width": 560, "height": 420},
        "zones": [
            {
                "name": "Stalls",
                "position": {"x": 0, "y": 0},
                "rows": [
                    {"row_number": row, "position": {"x": 0, "y": 0}, "seats": list_}
                    for row, list_ in rows.items()
                ],
            }
        ],
        "onsale": {
            "prices": PRICES,
            "accessible": list(ACCESSIBLE),
            "focal_point": {"x": 260, "y": 0},
        },
    }


async def seated_event(
    api: Api, organizer: User, code: str = "STALLS", **fields: Any
) -> dict[str, Any]:
    """A published event on sale now whose one section is the theatre (imported as CSV)."""
    event = await api.event(
        organizer,
        publish=False,
        sections=[{"code": code, "name": "Stalls", "price_cents": 4900, "capacity": 96}],
        **fields,
    )
    event_id = event["event_id"]
    r = await api.client.put(
        f"/api/v1/events/{event_id}/sections/{code}/seatmap",
        content=theatre_csv(code),
        headers={**organizer.headers, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(f"/api/v1/events/{event_id}/publish", headers=organizer.headers)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def hold_seats(api: Api, event_id: str, section: str, seat_ids: list[str]) -> dict[str, Any]:
    """Another fan, admitted, holds these seats (201 expected)."""
    fan = await api.user("fan")
    r = await api.client.post(f"/api/v1/events/{event_id}/queue", headers=fan.headers)
    assert r.status_code in (200, 201), r.text
    token = r.json()["admission_token"]
    r = await api.client.post(
        f"/api/v1/events/{event_id}/holds",
        json={"section": section, "seats": seat_ids},
        headers={**fan.headers, "X-Admission-Token": token, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    hold: dict[str, Any] = r.json()
    return hold


def pretix_bytes() -> bytes:
    return json.dumps(theatre_pretix()).encode()
