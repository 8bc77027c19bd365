"""The refusals about seats as AppErrors (holds and seat maps share them)."""

from __future__ import annotations

from app.core.errors import AppError
from app.core.i18n import N_


def _about_seats(code: str, status: int, title: str, detail: str, seats: list[str]) -> AppError:
    """A refusal that names its seats: the first 20 in the message, all of them in `seats`."""
    return AppError(
        code, status, title, detail, params={"seats": ", ".join(seats[:20])}, seats=seats
    )


def seats_taken(seats: list[str]) -> AppError:
    """Some seats asked for are held, sold or blocked: all of them named."""
    return _about_seats(
        "seats_taken", 409, "Seats taken", N_("These seats are not free: {seats}"), seats
    )


def seats_unknown(seats: list[str]) -> AppError:
    return _about_seats(
        "seats_unknown", 422, "Unknown seats", N_("These seats are not on the map: {seats}"), seats
    )


def seats_in_use(seats: list[str]) -> AppError:
    """A new map would drop or block seats someone holds or bought."""
    return _about_seats(
        "seats_in_use",
        409,
        "Seats in use",
        N_("Held or sold seats cannot leave the map or be blocked: {seats}"),
        seats,
    )


def _about_section(code: str, title: str, detail: str, section: str) -> AppError:
    """A 409 about a whole section, naming it."""
    return AppError(code, 409, title, detail, params={"section": section})


def section_has_sales(code: str) -> AppError:
    """A section sold as general admission cannot become seated."""
    return _about_section(
        "section_has_sales",
        "Section has sales",
        N_("Section {section} already has holds or sales without seats"),
        code,
    )


def not_seated(code: str) -> AppError:
    return _about_section(
        "section_not_seated", "Section not seated", N_("Section {section} has no seat map"), code
    )


def seated_capacity(code: str) -> AppError:
    """A seated section's capacity is its unblocked seats: it changes by blocking seats."""
    return _about_section(
        "section_seated",
        "Section is seated",
        N_("Section {section} is seated: block or unblock its seats to change its capacity"),
        code,
    )


def no_adjacent(code: str, quantity: int, left: int) -> AppError:
    return AppError(
        "no_adjacent_seats",
        409,
        "No seats together",
        N_("Section {section} has no {quantity} seats together ({left} seats left)"),
        params={"section": code, "quantity": quantity, "left": left},
    )
