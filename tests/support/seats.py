"""A seated section in Redis for the seat tests: a generated map, loaded as an import
would, and the hold scripts' seat operations with the state of every seat read back.

Shared by the seat script tests, the seat state machine (resale of seats too) and the storm
test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.core import keys
from app.core.clock import now_ms
from app.core.ids import new_id
from app.core.scripts import Scripts
from app.holds.ids import new_hold_id
from app.holds.moves import Listed, Withdrawn, move_scripts
from app.holds.scripts import Convert, Reserved, SeatRequest, hold_scripts
from app.seating.plan import Seat, SeatMap, parse_pretix
from app.seating.scripts import seat_scripts

SECTION = "STALLS"
DAY_MS = 24 * 3600 * 1000


def grid_map(
    rows: int = 10,
    per_row: int = 10,
    *,
    categories: tuple[str, ...] = ("front", "back"),
    accessible: tuple[str, ...] = (),
    spacing: int = 20,
) -> SeatMap:
    """`rows` rows of `per_row` seats; the first half of the rows in the first category.
    `accessible`: seat ids ('<row>-<n>') marked accessible. The focal point is the front
    centre (the stage above row A)."""
    seats = []
    for r in range(rows):
        label = _row_label(r)
        category = categories[0] if r < (rows + 1) // 2 else categories[-1]
        for n in range(1, per_row + 1):
            sid = f"{label}-{n}"
            seats.append(
                Seat(
                    seat_id=sid,
                    row=label,
                    number=str(n),
                    category=category,
                    x=n * spacing,
                    y=(r + 1) * spacing,
                    accessible=sid in accessible,
                )
            )
    prices = {c: 1000 * (len(categories) - i) for i, c in enumerate(categories)}
    m = SeatMap(
        seats=seats,
        categories={c: (prices[c], None) for c in categories},
        focal=((per_row + 1) * spacing / 2, 0.0),
    )
    return m


def _row_label(r: int) -> str:
    letters = ""
    r += 1
    while r:
        r, rem = divmod(r - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def pretix_plan(rows: int, per_row: int) -> dict[str, Any]:
    """A pretix seating plan written by its schema: two zones, rows with their own
    positions, guids that are not the labels, two categories."""
    zones = []
    half = rows // 2
    for z, (first, count) in enumerate(((0, half), (half, rows - half))):
        zone_rows = []
        for r in range(first, first + count):
            zone_rows.append(
                {
                    "row_number": _row_label(r),
                    "position": {"x": 10, "y": (r - first) * 30},
                    "seats": [
                        {
                            "seat_guid": f"g{r:03d}{n:03d}",
                            "seat_number": str(n + 1),
                            "position": {"x": n * 25, "y": 0},
                            "category": "stalls" if r < rows - 2 else "balcony",
                        }
                        for n in range(per_row)
                    ],
                }
            )
        zones.append(
            {
                "name": f"Zone {z + 1}",
                "position": {"x": 0, "y": 40 + z * (half * 30 + 40)},
                "rows": zone_rows,
                "areas": [],
            }
        )
    return {
        "name": "Test hall",
        "categories": [{"name": "stalls", "color": "#7f2f8f"}, {"name": "balcony"}],
        "zones": zones,
        "size": {"width": per_row * 25 + 40, "height": rows * 30 + 160},
    }


@dataclass
class Taken:
    reserved: Reserved
    seat_ids: list[str]


class SeatedSale:
    """One event with one seated section in Redis, as publish + seat map import leave it."""

    def __init__(self, scripts: Scripts) -> None:
        self.scripts = scripts
        self.hs = hold_scripts(scripts)
        self.ss = seat_scripts(scripts)
        self.moves = move_scripts(scripts)
        self.redis = scripts.redis
        self.id = new_id()
        self.session_id = new_id()
        self.map: SeatMap | None = None

    async def setup(
        self,
        m: SeatMap | None = None,
        *,
        max_per_order: int = 6,
        max_per_user: int = 8,
        **meta: Any,
    ) -> SeatedSale:
        self.map = m or grid_map()
        fields = {
            "status": "published",
            "onsale_at_ms": now_ms() - 60_000,
            "offsale_at_ms": now_ms() + 3_600_000,
            "hold_ttl_s": 600,
            "max_per_order": max_per_order,
            "max_per_user": max_per_user,
            "currency": "EUR",
            f"price:{SECTION}": 500,
            **meta,
        }
        await self.redis.hset(keys.event_meta(self.id), mapping=fields)  # type: ignore[misc]
        capacity = sum(1 for s in self.map.seats if not s.blocked)
        await self.scripts.run(
            "load_inventory", keys=[keys.inventory(self.id)], args=[SECTION, capacity, 0]
        )
        code, _, _ = await self.ss.load(self.id, SECTION, self.map, [])
        assert int(code) == 0
        await self.redis.zadd(  # type: ignore[misc]
            keys.active_sessions(self.id), {self.session_id: now_ms() + DAY_MS}
        )
        return self

    async def pick(
        self, user: str, seats: list[str], *, idem: tuple[str, str] | None = None
    ) -> Reserved:
        return await self.hs.reserve(
            event_id=self.id,
            user_id=user,
            session_id=self.session_id,
            section=SECTION,
            quantity=len(seats),
            hold_id=new_hold_id(self.id),
            idempotency=idem,
            now=now_ms(),
            idempotency_ttl_ms=DAY_MS,
            seats=SeatRequest("pick", tuple(seats)),
        )

    async def best(
        self, user: str, quantity: int, *, category: str = "", accessible: bool = False
    ) -> Reserved:
        return await self.hs.reserve(
            event_id=self.id,
            user_id=user,
            session_id=self.session_id,
            section=SECTION,
            quantity=quantity,
            hold_id=new_hold_id(self.id),
            idempotency=None,
            now=now_ms(),
            idempotency_ttl_ms=DAY_MS,
            seats=SeatRequest("best", (), category, accessible),
        )

    async def release(self, hold_id: str, user: str) -> int:
        return int(await self.hs.release(self.id, hold_id, user_id=user, now=now_ms()))

    async def expire(self, hold_id: str) -> tuple[int, int]:
        return await self.hs.expire(self.id, [hold_id], now_ms() + 10 * DAY_MS)

    async def convert(self, hold_id: str, user: str, seats: list[str]) -> Convert:
        return await self.hs.convert(
            self.id,
            hold_id,
            payment_intent_id=f"pi-{hold_id}",
            order_id=f"o-{hold_id}",
            user_id=user,
            section=SECTION,
            quantity=len(seats),
            now=now_ms(),
            seats=seats,
        )

    async def refund(
        self, hold_id: str, user: str, seats: list[str], tickets: int | None = None
    ) -> bool:
        """The refund job's Redis step for the order of `hold_id`: `seats` back on sale,
        the user's count down by `tickets` (its tickets the refund voided; default: one per
        seat; a listed ticket is voided but its seat was back on sale already)."""
        return await self.hs.return_seats(
            self.id,
            order_id=f"o-{hold_id}",
            section=SECTION,
            quantity=len(seats),
            user_id=user,
            holders=[(user, len(seats) if tickets is None else tickets)],
            seats=seats,
        )

    # --- resale of a sold seat (list, withdraw, the seller's payout) ----------------------
    async def list_seat(self, listing_id: str, seat: str) -> Listed:
        return await self.moves.list(self.id, listing_id, SECTION, seat)

    async def withdraw_seat(self, listing_id: str, seat: str, seller_hold: str) -> Withdrawn:
        return await self.moves.withdraw(self.id, listing_id, SECTION, seat, seller_hold)

    async def settle(self, listing_id: str, seller: str) -> bool:
        return await self.moves.settle(self.id, listing_id, seller)

    async def block(self, seats: list[str], *, block: bool = True) -> tuple[int, list[str]]:
        code, ids = await self.ss.block(self.id, SECTION, seats, block=block)
        return int(code), ids

    # --- what the tests look at ---------------------------------------------------------
    async def states(self) -> dict[str, str]:
        """seat_id -> '' (free), 'b', 'h:<hold>' or 's:<hold>' for every seat of the map."""
        _, _, seats = await self.ss.read(self.id, SECTION)
        return {s.seat_id: s.state for s in seats}

    async def inv(self) -> dict[str, int]:
        raw: dict[str, str] = await self.redis.hgetall(keys.inventory(self.id))  # type: ignore[misc]
        return {k.split(":")[1]: int(v) for k, v in raw.items() if k.startswith(SECTION + ":")}

    async def user_seats(self, user: str) -> int:
        value = await self.redis.hget(keys.user_seats(self.id), user)  # type: ignore[misc]
        return int(value or 0)

    async def check_conservation(self) -> dict[str, str]:
        """Every seat is exactly one of free/held/sold/blocked and the counters agree."""
        states = await self.states()
        inv = await self.inv()
        held = sum(1 for v in states.values() if v.startswith("h:"))
        sold = sum(1 for v in states.values() if v.startswith("s:"))
        blocked = sum(1 for v in states.values() if v == "b")
        free = sum(1 for v in states.values() if v == "")
        assert free + held + sold + blocked == len(states)
        assert inv["held"] == held, (inv, held)
        assert inv["sold"] == sold, (inv, sold)
        assert inv["available"] == free, (inv, free)
        assert inv["capacity"] == len(states) - blocked
        assert inv["available"] + inv["held"] + inv["sold"] == inv["capacity"]
        await self.check_rows(states)
        return states

    async def check_rows(self, states: dict[str, str]) -> None:
        """Each row's free count (what best available skips rows by) is its free seats."""
        rows: dict[str, str] = await self.redis.hgetall(keys.seat_rows(self.id))  # type: ignore[misc]
        free: dict[str, int] = {}
        for seat, state in states.items():
            ri = rows[f"{SECTION}/{seat}"]
            free[ri] = free.get(ri, 0) + (state == "")
        counts = {
            k.partition("#")[2]: int(v) for k, v in rows.items() if k.startswith(SECTION + "#")
        }
        assert counts == free, (counts, free)


def seat_ids(reserved: Reserved) -> list[str]:
    return [line.split("\t")[0] for line in reserved.seats.split("\n") if line]


def plan_json(plan: dict[str, Any]) -> bytes:
    return json.dumps(plan).encode()


def parse(plan: dict[str, Any], default_price: int = 500) -> SeatMap:
    return parse_pretix(plan_json(plan), default_price)


# The pretix seating plan's shape (its schema's members per level: required, allowed);
# every level refuses members it does not list, positions are integers.
_SHAPE: dict[str, tuple[set[str], set[str]]] = {
    "plan": ({"name", "zones", "categories"}, {"size"}),
    "zone": ({"position", "rows"}, {"name", "displayed", "areas"}),
    "row": ({"seats", "row_number"}, {"number_of_seats", "seats_spacing", "position"}),
    "seat": ({"seat_guid", "seat_number", "position", "category"}, set()),
    "category": ({"name"}, {"color"}),
    "position": ({"x", "y"}, set()),
    "size": ({"width", "height"}, set()),
}


def _check(value: Any, kind: str, where: str) -> None:
    required, optional = _SHAPE[kind]
    assert isinstance(value, dict), where
    missing = required - value.keys()
    extra = value.keys() - required - optional
    assert not missing, f"{where}: missing {missing}"
    assert not extra, f"{where}: extra {extra}"
    if kind in ("position", "size"):
        assert all(isinstance(v, int) for v in value.values()), where


def check_pretix_shape(plan: dict[str, Any]) -> None:
    """Raise AssertionError unless `plan` has exactly the shape pretix's schema allows."""
    _check(plan, "plan", "plan")
    if "size" in plan:
        _check(plan["size"], "size", "size")
    for c in plan["categories"]:
        _check(c, "category", "category")
    for zone in plan["zones"]:
        _check(zone, "zone", "zone")
        _check(zone["position"], "position", "zone.position")
        for row in zone["rows"]:
            _check(row, "row", "row")
            if "position" in row:
                _check(row["position"], "position", "row.position")
            for seat in row["seats"]:
                _check(seat, "seat", "seat")
                _check(seat["position"], "position", "seat.position")
                assert all(
                    isinstance(seat[k], str) for k in ("seat_guid", "seat_number", "category")
                )
