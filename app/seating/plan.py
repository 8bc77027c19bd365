"""Seat maps in and out: a pretix seating plan (JSON) or a CSV, as one SeatMap; pure, no I/O.

A pretix plan (its `seating-plan.schema.json`: zones -> rows -> seats with `seat_guid`,
`seat_number`, `position` and `category`; positions nest: a seat's place on the map is
its zone's + its row's + its own) is read as such. What pretix's schema has no field for
travels in an optional top-level `onsale` member, which an export adds and an
`?format=pretix` export leaves out (so the file validates against the schema):
`{"prices": {category: cents}, "accessible": [seat_guid], "companion": [seat_guid],
"blocked": [seat_guid], "focal_point": {"x", "y"}}`.

The CSV has the header `section,row,seat,category,x,y,accessible` and one seat a line;
its seat ids are `<row>-<seat>` unless a `seat_id` column gives them (an export writes
one, plus `companion`, `blocked` and `price_cents`).

Adjacency (best available) follows each row's order on the map: a row's seats sorted by
their position along the row (x, then y).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from app.core.errors import AppError, FieldError

MAX_SEATS = 20_000
_SEAT_ID = re.compile(r"^[A-Za-z0-9._~:@+-]{1,64}$")
_LABEL_MAX = 32
CSV_HEADER = ["section", "row", "seat", "category", "x", "y", "accessible"]
CSV_EXPORT_HEADER = [*CSV_HEADER, "seat_id", "companion", "blocked", "price_cents"]


@dataclass(frozen=True)
class Seat:
    seat_id: str
    row: str
    number: str
    category: str
    x: float
    y: float
    accessible: bool = False
    companion: bool = False
    blocked: bool = False


@dataclass
class SeatMap:
    """A section's seats in map order, its categories (name -> price, color) and the
    point best available is closest to; `plan` is the pretix plan to export."""

    seats: list[Seat]
    categories: dict[str, tuple[int, str | None]]
    focal: tuple[float, float]
    plan: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, list[Seat]]]:
        """Rows in map order, each row's seats in order along the row (adjacency)."""
        by_row: dict[str, list[Seat]] = {}
        for seat in self.seats:
            by_row.setdefault(seat.row, []).append(seat)
        return [(row, sorted(seats, key=lambda s: (s.x, s.y))) for row, seats in by_row.items()]


def bad_plan(code: str, message: str, *, seats: list[str] | None = None) -> AppError:
    return AppError(
        code,
        422,
        "Invalid seat map",
        message,
        errors=[FieldError("plan", message)],
        seats=seats,
    )


# --- pretix JSON -------------------------------------------------------------------------
class _Position(msgspec.Struct):
    x: float
    y: float


class _Seat(msgspec.Struct):
    seat_guid: str
    seat_number: str
    position: _Position
    category: str


class _Row(msgspec.Struct):
    row_number: str
    seats: list[_Seat]
    position: _Position | None = None
    number_of_seats: int | None = None
    seats_spacing: int | None = None


class _Zone(msgspec.Struct):
    position: _Position
    rows: list[_Row]
    name: str | None = None
    displayed: bool | None = None
    areas: list[dict[str, Any]] | None = None


class _Category(msgspec.Struct):
    name: str
    color: str | None = None


class _Size(msgspec.Struct):
    width: int
    height: int


class _Extension(msgspec.Struct, forbid_unknown_fields=True):
    prices: dict[str, int] = {}
    accessible: list[str] = []
    companion: list[str] = []
    blocked: list[str] = []
    focal_point: _Position | None = None


class _Plan(msgspec.Struct):
    name: str
    zones: list[_Zone]
    categories: list[_Category]
    size: _Size | None = None
    onsale: _Extension | None = None


def _check_labels(seat_id: str, row: str, number: str, where: str) -> None:
    if not _SEAT_ID.match(seat_id):
        raise bad_plan(
            "seat_id_invalid",
            f"seat id {seat_id[:70]!r} ({where}): 1-64 letters, digits or ._~:@+-",
        )
    if not row.strip() or len(row) > _LABEL_MAX or not number.strip() or len(number) > _LABEL_MAX:
        raise bad_plan("seat_label_invalid", f"seat {seat_id}: row and number need 1-32 characters")


def parse_pretix(body: bytes, default_price: int) -> SeatMap:
    try:
        plan = msgspec.json.decode(body, type=_Plan)
        raw = msgspec.json.decode(body)
    except msgspec.ValidationError as exc:
        raise bad_plan("seatmap_invalid", f"not a seating plan: {exc}") from None
    except msgspec.DecodeError:
        raise bad_plan("seatmap_invalid", "the body is not JSON") from None
    ext = plan.onsale or _Extension()
    categories: dict[str, tuple[int, str | None]] = {}
    for c in plan.categories:
        if c.name in categories:
            raise bad_plan("category_duplicate", f"category {c.name!r} is listed twice")
        price = ext.prices.get(c.name, default_price)
        if not 0 <= price <= 100_000_000:
            raise bad_plan("price_invalid", f"price of {c.name!r} must be 0-100000000 cents")
        categories[c.name] = (price, c.color)
    for name in ext.prices:
        if name not in categories:
            raise bad_plan("category_unknown", f"a price names the unknown category {name!r}")
    accessible, companion, blocked = set(ext.accessible), set(ext.companion), set(ext.blocked)
    seats: list[Seat] = []
    seen: set[str] = set()
    for zone in plan.zones:
        for row in zone.rows:
            rx = zone.position.x + (row.position.x if row.position else 0)
            ry = zone.position.y + (row.position.y if row.position else 0)
            for s in row.seats:
                _check_labels(s.seat_guid, row.row_number, s.seat_number, f"row {row.row_number}")
                if s.seat_guid in seen:
                    raise bad_plan(
                        "seat_duplicate",
                        f"seat_guid {s.seat_guid!r} appears twice",
                        seats=[s.seat_guid],
                    )
                if s.category not in categories:
                    raise bad_plan(
                        "category_unknown",
                        f"seat {s.seat_guid} names the unknown category {s.category!r}",
                    )
                seen.add(s.seat_guid)
                seats.append(
                    Seat(
                        seat_id=s.seat_guid,
                        row=row.row_number,
                        number=s.seat_number,
                        category=s.category,
                        x=rx + s.position.x,
                        y=ry + s.position.y,
                        accessible=s.seat_guid in accessible,
                        companion=s.seat_guid in companion,
                        blocked=s.seat_guid in blocked,
                    )
                )
    stray = (accessible | companion | blocked) - seen
    if stray:
        raise bad_plan(
            "seat_unknown", "the onsale member names seats not on the plan", seats=sorted(stray)
        )
    raw.pop("onsale", None)
    return _finish(seats, categories, ext.focal_point, raw)


# --- CSV ---------------------------------------------------------------------------------
def _flag(value: str, name: str, line: int) -> bool:
    v = value.strip().lower()
    if v in ("", "0", "false", "no", "n"):
        return False
    if v in ("1", "true", "yes", "y"):
        return True
    raise bad_plan("seatmap_invalid", f"line {line}: {name} must be true or false")


def parse_csv(body: bytes, section: str, default_price: int) -> SeatMap:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_plan("seatmap_invalid", "the CSV is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [h for h in CSV_HEADER if h not in header]
    if missing:
        raise bad_plan("seatmap_invalid", f"the CSV header lacks {', '.join(missing)}")
    reader.fieldnames = header
    seats: list[Seat] = []
    seen: set[str] = set()
    categories: dict[str, tuple[int, str | None]] = {}
    for line, rec in enumerate(reader, start=2):
        if any(v is None for v in rec.values()):
            raise bad_plan("seatmap_invalid", f"line {line}: {len(header)} columns expected")
        if rec["section"].strip() != section:
            raise bad_plan(
                "seatmap_invalid", f"line {line}: section {rec['section']!r} is not {section!r}"
            )
        row, number = rec["row"].strip(), rec["seat"].strip()
        seat_id = (rec.get("seat_id") or "").strip() or f"{row}-{number}"
        _check_labels(seat_id, row, number, f"line {line}")
        if seat_id in seen:
            raise bad_plan("seat_duplicate", f"line {line}: seat {seat_id} twice", seats=[seat_id])
        category = rec["category"].strip()
        if not category or len(category) > 64:
            raise bad_plan("seatmap_invalid", f"line {line}: a category needs 1-64 characters")
        try:
            x, y = float(rec["x"]), float(rec["y"])
        except ValueError:
            raise bad_plan("seatmap_invalid", f"line {line}: x and y must be numbers") from None
        if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > 1e6:
            raise bad_plan("seatmap_invalid", f"line {line}: x and y must be within ±1000000")
        price_text = (rec.get("price_cents") or "").strip()
        if category not in categories or price_text:
            try:
                price = int(price_text) if price_text else default_price
            except ValueError:
                raise bad_plan("price_invalid", f"line {line}: price_cents must be cents") from None
            if not 0 <= price <= 100_000_000 or categories.get(category, (price, None))[0] != price:
                raise bad_plan("price_invalid", f"line {line}: one price per category, in cents")
            categories[category] = (price, None)
        seen.add(seat_id)
        seats.append(
            Seat(
                seat_id=seat_id,
                row=row,
                number=number,
                category=category,
                x=x,
                y=y,
                accessible=_flag(rec["accessible"], "accessible", line),
                companion=_flag(rec.get("companion") or "", "companion", line),
                blocked=_flag(rec.get("blocked") or "", "blocked", line),
            )
        )
    return _finish(seats, categories, None, None)


def _finish(
    seats: list[Seat],
    categories: dict[str, tuple[int, str | None]],
    focal: _Position | None,
    raw: dict[str, Any] | None,
) -> SeatMap:
    if not seats:
        raise bad_plan("seatmap_empty", "a seat map needs at least one seat")
    if len(seats) > MAX_SEATS:
        raise bad_plan("seatmap_too_large", f"at most {MAX_SEATS} seats per section")
    if focal is not None:
        point = (focal.x, focal.y)
    else:
        # The section's front centre: the middle of its seats across, their front edge
        # (maps draw the stage at the top).
        xs = [s.x for s in seats]
        point = ((min(xs) + max(xs)) / 2, min(s.y for s in seats))
    m = SeatMap(seats=seats, categories=categories, focal=point)
    m.plan = raw if raw is not None else _plan_of(m)
    return m


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() else v


def _plan_of(m: SeatMap) -> dict[str, Any]:
    """A pretix plan of a map that came without one (CSV): one zone, its rows at the origin."""
    return {
        "name": "Seat map",
        "categories": [{"name": name} for name in m.categories],
        "zones": [
            {
                "name": "Seats",
                "position": {"x": 0, "y": 0},
                "rows": [
                    {
                        "row_number": row,
                        "position": {"x": 0, "y": 0},
                        "seats": [
                            {
                                "seat_guid": s.seat_id,
                                "seat_number": s.number,
                                "position": {"x": _num(s.x), "y": _num(s.y)},
                                "category": s.category,
                            }
                            for s in seats
                        ],
                    }
                    for row, seats in m.rows()
                ],
            }
        ],
    }


def export_pretix(
    plan: dict[str, Any],
    categories: dict[str, tuple[int, str | None]],
    seats: list[Seat],
    focal: tuple[float, float],
    *,
    extension: bool = True,
) -> dict[str, Any]:
    """The stored plan, with the `onsale` member of today's prices, flags and blocks."""
    out = dict(plan)
    if extension:
        out["onsale"] = {
            "prices": {name: price for name, (price, _) in categories.items()},
            "accessible": [s.seat_id for s in seats if s.accessible],
            "companion": [s.seat_id for s in seats if s.companion],
            "blocked": [s.seat_id for s in seats if s.blocked],
            "focal_point": {"x": _num(focal[0]), "y": _num(focal[1])},
        }
    return out


def export_csv(
    section: str, categories: dict[str, tuple[int, str | None]], seats: list[Seat]
) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_EXPORT_HEADER)
    for s in seats:
        writer.writerow(
            [
                section,
                s.row,
                s.number,
                s.category,
                _num(s.x),
                _num(s.y),
                str(s.accessible).lower(),
                s.seat_id,
                str(s.companion).lower(),
                str(s.blocked).lower(),
                categories[s.category][0],
            ]
        )
    return buf.getvalue()
