"""The refusals about seats as AppErrors (holds and seat maps share them)."""

from __future__ import annotations

from app.core.errors import AppError
from app.core.i18n import N_


def seats_taken(seats: list[str]) -> AppError:
    """Some seats asked for are held, sold or blocked: all of them named."""
    return AppError(
        "seats_taken",
        409,
        "Seats taken",
        N_("These seats are not free: {seats}"),
        params={"seats": ", ".join(seats[:20])},
        seats=seats,
    )


def seats_unknown(seats: list[str]) -> AppError:
    return AppError(
        "seats_unknown",
        422,
        "Unknown seats",
        N_("These seats are not on the map: {seats}"),
        params={"seats": ", ".join(seats[:20])},
        seats=seats,
    )


def not_seated(code: str) -> AppError:
    return AppError(
        "section_not_seated",
        409,
        "Section not seated",
        N_("Section {section} has no seat map"),
        params={"section": code},
    )


def seated_capacity(code: str) -> AppError:
    """A seated section's capacity is its unblocked seats: it changes by blocking seats."""
    return AppError(
        "section_seated",
        409,
        "Section is seated",
        N_("Section {section} is seated: block or unblock its seats to change its capacity"),
        params={"section": code},
    )


def no_adjacent(code: str, quantity: int, left: int) -> AppError:
    return AppError(
        "no_adjacent_seats",
        409,
        "No seats together",
        N_("Section {section} has no {quantity} seats together ({left} seats left)"),
        params={"section": code, "quantity": quantity, "left": left},
    )
