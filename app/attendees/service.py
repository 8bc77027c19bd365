"""Attendee operations: an event's names rule and questions (organizer), an order's names and
answers (its buyer, until the cut-off), and the attendee export (organizer).

Names and answers are asked after payment, never on the hold path: a ticket is sold whether or
not it has a name. A ticket without a required name still gets in at the door (the scanner
shows "name missing" and the staff decide, as pretix leaves it to the door).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import msgspec

from app.attendees import answers as rules
from app.attendees import repo
from app.attendees.schemas import (
    AttendeeSettings,
    AttendeeSettingsIn,
    OrderAttendees,
    OrderAttendeesIn,
    Question,
    TicketAttendee,
)
from app.core.clock import utcnow
from app.core.csvsafe import safe_cell
from app.core.db import Conn
from app.core.errors import AppError, not_found
from app.core.i18n import N_
from app.core.ids import is_uuid
from app.core.security import Principal
from app.events.service import get_managed_event


def order_not_paid() -> AppError:
    return AppError(
        "order_not_paid",
        409,
        "Order not paid",
        N_("Names and answers are asked once the order is paid."),
    )


async def rules_of(conn: Conn, event_id: str) -> tuple[str, int, list[Question]]:
    """The event's names rule, cut-off hours and questions (off, 0, none without a row)."""
    row = await repo.settings_of(conn, event_id)
    if row is None:
        return "off", 0, []
    return row["names"], int(row["cutoff_hours"]), [rules.question_of(q) for q in row["questions"]]


def _settings(
    event_id: str, names: str, cutoff: int, questions: list[Question]
) -> AttendeeSettings:
    return AttendeeSettings(
        event_id=event_id,
        names=names,  # type: ignore[arg-type]
        cutoff_hours=cutoff,
        questions=questions,
    )


async def get_settings(pool: asyncpg.Pool, principal: Principal, event_id: str) -> AttendeeSettings:
    event = await get_managed_event(pool, principal, event_id, need="read")
    return _settings(event.event_id, *await rules_of(pool, event.event_id))


async def put_settings(
    pool: asyncpg.Pool, principal: Principal, event_id: str, data: AttendeeSettingsIn
) -> AttendeeSettings:
    event = await get_managed_event(pool, principal, event_id, need="edit")
    _, _, existing = await rules_of(pool, event.event_id)
    questions = rules.settle_questions(data.questions, existing)
    row = await repo.put_settings(
        pool,
        event.event_id,
        data.names,
        data.cutoff_hours,
        [msgspec.to_builtins(q) for q in questions],
    )
    return _settings(
        event.event_id,
        row["names"],
        int(row["cutoff_hours"]),
        [rules.question_of(q) for q in row["questions"]],
    )


async def _own_order(conn: Conn, principal: Principal, order_id: str) -> asyncpg.Record:
    """The caller's own order; any other (another fan's, an unknown id) is 404."""
    row = await repo.order(conn, order_id) if is_uuid(order_id) else None
    if row is None or str(row["user_id"]) != principal.user_id:
        raise not_found("Order")
    return row


def _present(
    order: asyncpg.Record,
    names: str,
    cutoff: int,
    questions: list[Question],
    tickets: Sequence[asyncpg.Record],
) -> OrderAttendees:
    until = rules.changes_until(order["starts_at"], cutoff)
    return OrderAttendees(
        order_id=str(order["order_id"]),
        event_id=str(order["event_id"]),
        names=names,  # type: ignore[arg-type]
        questions=questions,
        changes_until=until,
        editable=order["status"] == "confirmed"
        and rules.may_change(utcnow(), order["starts_at"], cutoff),
        tickets=[
            TicketAttendee(
                ticket_id=str(t["ticket_id"]),
                section=t["section_code"],
                seq=int(t["seq"]),
                seat_row=t["seat_row"],
                seat_number=t["seat_number"],
                name=t["name"],
                name_missing=names == "required" and not t["name"],
                answers=dict(t["answers"]),
            )
            for t in tickets
        ],
        answers=dict(order["answers"]),
        missing=rules.missing_count(
            names=names,
            questions=questions,
            tickets=[(t["name"], t["answers"]) for t in tickets],
            order_answers=order["answers"],
        ),
    )


async def get_order_attendees(
    pool: asyncpg.Pool, principal: Principal, order_id: str
) -> OrderAttendees:
    order = await _own_order(pool, principal, order_id)
    names, cutoff, questions = await rules_of(pool, str(order["event_id"]))
    tickets = await repo.tickets(pool, order_id)
    return _present(order, names, cutoff, questions, tickets)


async def put_order_attendees(
    pool: asyncpg.Pool, principal: Principal, order_id: str, data: OrderAttendeesIn
) -> OrderAttendees:
    """Save the fan's form whole: every ticket named in it and the order's answers, in one
    transaction; refused as a whole when any field is wrong (422) or after the cut-off (409)."""
    async with pool.acquire() as conn, conn.transaction():
        order = await _own_order(conn, principal, order_id)
        if order["status"] != "confirmed":
            raise order_not_paid()
        names, cutoff, questions = await rules_of(conn, str(order["event_id"]))
        if not rules.may_change(utcnow(), order["starts_at"], cutoff):
            raise rules.changes_closed()
        held = await repo.tickets(conn, order_id)
        checked = rules.check_form(
            data,
            names=names,
            questions=questions,
            ticket_ids=[str(t["ticket_id"]) for t in held],
        )
        for ticket_id, (name, answers) in checked.tickets.items():
            await repo.put_ticket(conn, ticket_id, order_id, name, answers)
        if any(q.per == "order" for q in questions) or checked.answers:
            await repo.put_order_answers(conn, order_id, checked.answers)
        order = await repo.order(conn, order_id)
        assert order is not None
        tickets = await repo.tickets(conn, order_id)
    return _present(order, names, cutoff, questions, tickets)


FIXED_COLUMNS = (
    "ticket_id",
    "order_id",
    "order_status",
    "email",
    "section_code",
    "seq",
    "seat",
    "ticket_status",
    "attendee_name",
)


def _question_columns(questions: Sequence[Question]) -> list[str]:
    """One column per question, headed by its label (a label asked twice gets its id)."""
    labels = [q.label for q in questions]
    return [
        q.label if labels.count(q.label) == 1 and q.label not in FIXED_COLUMNS
        else f"{q.label} ({q.question_id})"
        for q in questions
    ]  # fmt: skip


def _attendee_row(row: asyncpg.Record, questions: Sequence[Question]) -> list[Any]:
    seat = (
        f"{row['seat_row']}-{row['seat_number']}"
        if row["seat_row"] is not None or row["seat_number"] is not None
        else ""
    )
    cells: list[Any] = [
        str(row["ticket_id"]),
        str(row["order_id"]),
        row["order_status"],
        row["email"],
        row["section_code"],
        row["seq"],
        seat,
        row["ticket_status"],
        row["attendee_name"],
    ]
    for q in questions:
        source = row["order_answers"] if q.per == "order" else row["ticket_answers"]
        cells.append(rules.answer_text(source.get(q.question_id)))
    return cells


async def export_csv(
    pool: asyncpg.Pool, principal: Principal, event_id: str
) -> AsyncIterator[bytes]:
    """Check the caller first (a refused export raises before the stream starts), then the
    CSV: one row per ticket, its name and one column per question of the event."""
    event = await get_managed_event(pool, principal, event_id, need="read")
    _, _, questions = await rules_of(pool, event.event_id)
    return _stream(pool, event.event_id, questions)


async def _stream(
    pool: asyncpg.Pool, event_id: str, questions: list[Question]
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*FIXED_COLUMNS, *(safe_cell(c) for c in _question_columns(questions))])
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        async for row in repo.export(conn, event_id):
            # Names and answers are typed by fans: escaped against spreadsheet formulas.
            writer.writerow(
                [safe_cell(c) if isinstance(c, str) else c for c in _attendee_row(row, questions)]
            )
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()


async def names_of(conn: Conn, ticket_ids: list[str]) -> dict[str, str]:
    """The attendee names of some tickets, by ticket id (tickets without one are left out)."""
    ids = [uuid.UUID(t) for t in ticket_ids if is_uuid(t)]
    if not ids:
        return {}
    return {str(k): v for k, v in (await repo.names_of_tickets(conn, ids)).items()}
