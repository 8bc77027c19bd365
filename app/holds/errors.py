"""The refusals of hold operations as AppErrors (codes of API.md)."""

from __future__ import annotations

from app.core.errors import AppError, invalid, not_found, sale_not_open
from app.core.i18n import N_
from app.core.idempotency import conflict as idempotency_conflict
from app.core.ratelimit import rate_limited
from app.holds.scripts import Reserve
from app.seating.errors import no_adjacent, not_seated, seats_taken, seats_unknown
from waiting_room import tokens


def hold_not_active(status: str) -> AppError:
    return AppError(
        "hold_not_active",
        409,
        "Hold not active",
        N_("The hold is {status}; it cannot change now"),
        params={"status": status},
    )


def hold_expired() -> AppError:
    return AppError(
        "hold_expired", 409, "Hold expired", "This hold has expired; its seats are back on sale"
    )


def below_committed(code: str, withdrawable: int) -> AppError:
    return AppError(
        "capacity_below_committed",
        409,
        "Seats are committed",
        N_("Section {section} has only {withdrawable} unsold seats that can be withdrawn"),
        params={"section": code, "withdrawable": withdrawable},
    )


def type_refusal(code: Reserve, n1: int, about: str) -> AppError:
    """The AppError of a hold refused for one of its ticket types (codes 18-23); `about`
    names the type (and, for a companion rule, its companion)."""
    if code is Reserve.TYPE_REQUIRED:
        return AppError(
            "type_required",
            422,
            "Ticket type required",
            N_("This section sells by ticket type: choose how many of each type"),
        )
    if code is Reserve.NO_SUCH_TYPE:
        return AppError(
            "no_such_type",
            422,
            "Unknown ticket type",
            N_("There is no ticket type {type} in this section"),
            params={"type": about},
            ticket_type=about,
        )
    if code is Reserve.TYPE_NOT_ON_SALE:
        return AppError(
            "type_not_on_sale",
            409,
            "Ticket type not on sale",
            N_("Tickets of type {type} are not on sale yet")
            if n1 == 1
            else N_("Tickets of type {type} are no longer on sale"),
            params={"type": about},
            ticket_type=about,
        )
    if code is Reserve.TYPE_LIMIT:
        return AppError(
            "type_limit_exceeded",
            409,
            "Limit exceeded",
            N_("At most {limit} tickets of type {type} per order"),
            params={"type": about, "limit": n1},
            ticket_type=about,
        )
    if code is Reserve.TYPE_SOLD_OUT:
        return AppError(
            "type_sold_out",
            409,
            "Ticket type sold out",
            N_("Only {left} tickets of type {type} are left"),
            params={"type": about, "left": n1},
            ticket_type=about,
        )
    kind, _, companion = about.partition(",")
    return AppError(
        "companion_required",
        409,
        "Companion ticket required",
        N_("Tickets of type {type} need at least one ticket of type {companion} in the order"),
        params={"type": kind, "companion": companion},
        ticket_type=kind,
    )


_TYPE_CODES = frozenset(
    {
        Reserve.TYPE_REQUIRED,
        Reserve.NO_SUCH_TYPE,
        Reserve.TYPE_NOT_ON_SALE,
        Reserve.TYPE_LIMIT,
        Reserve.TYPE_SOLD_OUT,
        Reserve.COMPANION_REQUIRED,
    }
)


def refusal(
    code: Reserve, section: str, quantity: int, n1: int, n2: int, seats: str = ""
) -> AppError:
    """The AppError of a refused hold (codes 1-23 of reserve_seats)."""
    if code in _TYPE_CODES:
        return type_refusal(code, n1, seats)
    if code is Reserve.SEATS_TAKEN:
        return seats_taken(seats.split(","))
    if code is Reserve.UNKNOWN_SEATS:
        if not seats:
            return invalid("category", "no such category in this section")
        return seats_unknown(seats.split(","))
    if code is Reserve.NOT_SEATED:
        return not_seated(section)
    if code is Reserve.NO_ADJACENT:
        return no_adjacent(section, quantity, n1)
    if code is Reserve.NO_SUCH_CODE:
        return not_found("Discount code")
    if code is Reserve.CODE_EXHAUSTED:
        return AppError(
            "code_exhausted",
            409,
            "Code used up",
            N_("This discount code has been used {uses} times, its limit"),
            params={"uses": n1},
        )
    if code is Reserve.CODE_NOT_APPLICABLE:
        return AppError(
            "code_not_applicable",
            409,
            "Code not valid here",
            N_("This discount code is not valid for section {section} in this sale phase"),
            params={"section": section},
        )
    if code is Reserve.RATE_LIMITED:
        return rate_limited(n1)
    if code is Reserve.SOLD_OUT:
        return AppError(
            "sold_out",
            409,
            "Sold out",
            N_("Section {section} has {left} of {quantity} requested seats left"),
            params={"section": section, "left": n1, "quantity": quantity},
        )
    if code is Reserve.LIMIT_PER_ORDER:
        return AppError(
            "limit_exceeded",
            409,
            "Limit exceeded",
            N_("At most {limit} tickets per order"),
            params={"limit": n1},
        )
    if code is Reserve.LIMIT_PER_USER:
        return AppError(
            "limit_exceeded",
            409,
            "Limit exceeded",
            N_("At most {limit} tickets per account for this event; you hold or bought {have}"),
            params={"limit": n1, "have": n2},
        )
    if code is Reserve.NOT_ADMITTED:
        return tokens.not_admitted("Your shopping session is not active; join the queue")
    if code is Reserve.ADMISSION_EXPIRED:
        return tokens.admission_expired()
    if code is Reserve.SALE_NOT_OPEN:
        return sale_not_open()
    if code is Reserve.NO_SUCH_EVENT:
        return not_found("Event")
    if code is Reserve.NO_SUCH_SECTION:
        return invalid("section", f"no section {section!r} in this event")
    return idempotency_conflict()
