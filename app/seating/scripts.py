"""The seat map scripts (lua/load_seats.lua, block_seats.lua, read_seats.lua,
recount_seat_rows.lua) behind typed methods; the seats of holds move in the hold scripts
(app.holds.scripts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import IntEnum
from typing import NamedTuple

from app.core import keys
from app.core.scripts import Scripts
from app.seating.plan import Seat, SeatMap


class Load(IntEnum):
    OK = 0
    IN_USE = 1  # held or sold seats would leave the map or be blocked
    GENERAL_ADMISSION_SOLD = 2  # the section has general-admission holds or sales


class Block(IntEnum):
    OK = 0
    TAKEN = 1
    UNKNOWN = 2


class SeatState(NamedTuple):
    seat_id: str
    row: str
    number: str
    category: str
    x: float
    y: float
    flags: str  # 'a' accessible, 'c' companion
    state: str  # '' free, 'b', 'h:<hold_id>', 's:<hold_id>'


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


def info_of(seat: Seat) -> str:
    flags = ("a" if seat.accessible else "") + ("c" if seat.companion else "")
    return "\t".join((seat.row, seat.number, seat.category, _num(seat.x), _num(seat.y), flags))


def plan_of(m: SeatMap) -> str:
    """What best available reads, as the fields of the section's plan hash (JSON of them):
    `r<i>` each row (label, seat ids, numbers, categories, flags, positions, in row order),
    `o` the rows nearest the focal point first, each with the least squared distance a
    block of its seats can have (to the row's bounding box: a block's centre lies inside
    it), so the script stops reading rows once its choice cannot be beaten; `meta` the
    focal point, categories and row order for the public seats view."""
    fx, fy = m.focal
    fields: dict[str, str] = {}
    order: list[tuple[float, int]] = []
    labels: list[str] = []
    for i, (label, seats) in enumerate(m.rows(), start=1):
        labels.append(label)
        row = {
            "r": label,
            "s": [s.seat_id for s in seats],
            "n": [s.number for s in seats],
            "c": [s.category for s in seats],
            "f": [("a" if s.accessible else "") + ("c" if s.companion else "") for s in seats],
            "x": [s.x for s in seats],
            "y": [s.y for s in seats],
        }
        fields[f"r{i}"] = json.dumps(row, separators=(",", ":"))
        xs, ys = row["x"], row["y"]
        dx = max(min(xs) - fx, 0.0, fx - max(xs))  # type: ignore[type-var, operator]
        dy = max(min(ys) - fy, 0.0, fy - max(ys))  # type: ignore[type-var, operator]
        order.append((dx * dx + dy * dy, i))
    order.sort()
    fields["o"] = ",".join(f"{i}:{lb!r}" for lb, i in order)
    cats = [[name, price, color] for name, (price, color) in m.categories.items()]
    fields["meta"] = json.dumps({"fx": fx, "fy": fy, "k": cats, "rows": labels})
    return json.dumps(fields, separators=(",", ":"))


def _split(text: object) -> list[str]:
    return [s for s in str(text).split(",") if s]


class SeatScripts:
    def __init__(self, scripts: Scripts) -> None:
        self._scripts = scripts
        self._load = scripts.get("load_seats")
        self._block = scripts.get("block_seats")
        self._read = scripts.get("read_seats")
        self._recount = scripts.get("recount_seat_rows")

    async def load(
        self, event_id: str, section: str, m: SeatMap, old_ids: Sequence[str]
    ) -> tuple[Load, list[str], int]:
        """(outcome, seats in use, capacity)."""
        pairs: list[str] = []
        for seat in m.seats:
            pairs += [seat.seat_id, info_of(seat)]
        prices = "\n".join(f"{name}\t{price}" for name, (price, _) in m.categories.items())
        code, detail = await self._scripts.call(
            self._load,
            [
                keys.event_meta(event_id),
                keys.inventory(event_id),
                keys.seat_states(event_id),
                keys.seat_info(event_id, section),
                keys.seat_plan(event_id, section),
                keys.seat_rows(event_id),
            ],
            [
                section,
                plan_of(m),
                prices,
                ",".join(old_ids),
                ",".join(s.seat_id for s in m.seats if s.blocked),
                *pairs,
            ],
        )
        outcome = Load(int(code))
        if outcome is Load.OK:
            return outcome, [], int(detail)
        return outcome, _split(detail), 0

    async def block(
        self, event_id: str, section: str, ids: Sequence[str], *, block: bool
    ) -> tuple[Block, list[str]]:
        """(outcome, the seats changed now | taken | unknown)."""
        code, detail = await self._scripts.call(
            self._block,
            [
                keys.inventory(event_id),
                keys.seat_states(event_id),
                keys.seat_info(event_id, section),
                keys.seat_rows(event_id),
            ],
            [section, "block" if block else "unblock", *ids],
        )
        return Block(int(code)), _split(detail)

    async def recount(self, event_id: str, section: str, *, map_rows: bool = False) -> int:
        """Each row's free count derived from the seats again; how many were wrong.
        `map_rows`: also write each seat's row (after reconcile rebuilt the map)."""
        out = await self._scripts.call(
            self._recount,
            [
                keys.seat_states(event_id),
                keys.seat_rows(event_id),
                keys.seat_plan(event_id, section),
            ],
            [section, "1" if map_rows else "0"],
        )
        return int(out)

    async def read(self, event_id: str, section: str) -> tuple[str, str, list[SeatState]]:
        """(the event's status, the stored plan JSON or '', the seats with their states)."""
        flat = await self._scripts.call(
            self._read,
            [
                keys.seat_info(event_id, section),
                keys.seat_states(event_id),
                keys.seat_plan(event_id, section),
                keys.event_meta(event_id),
            ],
            [section],
        )
        status, plan = str(flat[0]), str(flat[1])
        out: list[SeatState] = []
        for i in range(2, len(flat), 3):
            row, number, category, x, y, flags = str(flat[i + 1]).split("\t")
            out.append(
                SeatState(
                    str(flat[i]), row, number, category, float(x), float(y), flags, str(flat[i + 2])
                )
            )
        return status, plan, out


def seat_scripts(scripts: Scripts) -> SeatScripts:
    return scripts.view(SeatScripts)
