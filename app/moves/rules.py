"""The organizer's move rules of an event, and the refusals a fan's move meets."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.core.errors import AppError
from app.core.i18n import N_
from app.events.model import EventRecord
from app.moves.schemas import MoveRules


def not_allowed(detail: str, **params: object) -> AppError:
    """A move outside the event's rules (API.md: 409 `not_allowed`)."""
    return AppError("not_allowed", 409, "Not allowed", detail, params=params or None)


def cancel_open(rules: MoveRules, event: EventRecord, now: datetime) -> bool:
    return (
        rules.cancel_enabled
        and event.status != "ended"
        and now < event.starts_at - timedelta(seconds=rules.cancel_until_s)
    )


def transfer_open(rules: MoveRules, event: EventRecord, now: datetime) -> bool:
    return (
        rules.transfer_enabled
        and event.status != "ended"
        and now < event.starts_at - timedelta(seconds=rules.transfer_cutoff_s)
    )


def resale_open(rules: MoveRules, event: EventRecord, now: datetime) -> bool:
    # Listed seats are sold through the event's own sale: only while it can sell them.
    return rules.resale_enabled and event.on_sale(now) and now < event.starts_at


def check_cancel(rules: MoveRules, event: EventRecord, now: datetime) -> None:
    if not rules.cancel_enabled:
        raise not_allowed(N_("The organizer does not allow cancelling tickets of this event"))
    if not cancel_open(rules, event, now):
        raise not_allowed(N_("The time to cancel tickets of this event is over"))


def check_transfer(rules: MoveRules, event: EventRecord, now: datetime) -> None:
    if not rules.transfer_enabled:
        raise not_allowed(N_("The organizer does not allow transferring tickets of this event"))
    if not transfer_open(rules, event, now):
        raise not_allowed(N_("Transfers of this event's tickets are closed before the doors"))


def check_resale(rules: MoveRules, event: EventRecord, now: datetime) -> None:
    if not rules.resale_enabled:
        raise not_allowed(N_("The organizer does not allow reselling tickets of this event"))
    if not resale_open(rules, event, now):
        raise not_allowed(N_("Tickets of this event can be resold only while it is on sale"))
