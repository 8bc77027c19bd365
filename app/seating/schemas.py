"""Bodies of the seat map API (API.md "After the sale, seats, phases")."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

SeatStatus = Literal["free", "held", "sold", "blocked"]
SeatId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._~:@+-]+$")]


class CategoryOut(msgspec.Struct):
    name: str
    price_cents: int
    color: str | None = None


class SeatMapResult(msgspec.Struct):
    seats: int
    categories: list[CategoryOut]
    capacity: int
    blocked: int


class SeatOut(msgspec.Struct):
    seat_id: str
    row: str
    number: str
    category: str
    x: float
    y: float
    accessible: bool
    companion: bool
    status: SeatStatus


class SeatsOut(msgspec.Struct):
    section: str
    seats: list[SeatOut]
    categories: list[CategoryOut]
    focal_point: dict[str, float]
    counts: dict[str, int]


class BlockIn(msgspec.Struct, forbid_unknown_fields=True):
    seats: Annotated[list[SeatId], msgspec.Meta(min_length=1, max_length=5000)]


class BlockOut(msgspec.Struct):
    changed: list[str]
    capacity: int
