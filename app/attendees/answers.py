"""The rules of names and answers: an event's questions checked when the organizer saves them,
and a fan's form checked against them. Pure functions, tested on their own.

A refused form is one 422 problem listing every field that is wrong: `answer_invalid` when any
answer breaks a rule (an option that does not exist, a text too long, a name where none is
asked), else `answer_required` when only required answers are missing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from app.attendees.schemas import OrderAttendeesIn, Question, QuestionIn
from app.core import rules
from app.core.errors import AppError, FieldError
from app.core.i18n import N_


def answer_required(errors: list[FieldError]) -> AppError:
    return AppError(
        "answer_required",
        422,
        "Answer required",
        N_("Some required names or answers are missing"),
        errors=errors,
    )


def answer_invalid(errors: list[FieldError]) -> AppError:
    return AppError(
        "answer_invalid",
        422,
        "Answer invalid",
        N_("Some names or answers are not valid"),
        errors=errors,
    )


def changes_closed() -> AppError:
    return AppError(
        "attendee_changes_closed",
        409,
        "Changes closed",
        N_("Names and answers can no longer be changed for this event"),
    )


def questions_invalid(errors: list[FieldError]) -> AppError:
    return AppError(
        "invalid_request", 422, "Invalid request",
        N_("Some questions are not valid"), errors=errors,
    )  # fmt: skip


def settle_questions(
    given: Sequence[QuestionIn], existing: Sequence[Question] = ()
) -> list[Question]:
    """The questions to store: each keeps its id (a new one gets a fresh id), a choice
    question has at least one option and no option twice; text questions keep no options."""
    errors: list[FieldError] = []
    known = {q.question_id for q in existing}
    seen: set[str] = set()
    out: list[Question] = []
    for i, q in enumerate(given):
        qid = q.question_id
        if qid is not None and qid in seen:
            errors.append(FieldError(f"questions[{i}].question_id", "appears twice", rules.INVALID))
        if qid is None:
            qid = secrets.token_hex(4)
            while qid in known or qid in seen:
                qid = secrets.token_hex(4)
        seen.add(qid)
        options = [o.strip() for o in q.options]
        if q.kind == "text":
            options = []
        elif not options or any(not o for o in options):
            errors.append(
                FieldError(f"questions[{i}].options", "needs at least one option", rules.REQUIRED)
            )
        elif len(set(options)) != len(options):
            errors.append(FieldError(f"questions[{i}].options", "an option twice", rules.INVALID))
        label = q.label.strip()
        if not label:
            errors.append(FieldError(f"questions[{i}].label", "is empty", rules.REQUIRED))
        out.append(
            Question(
                question_id=qid,
                label=label,
                kind=q.kind,
                required=q.required,
                per=q.per,
                max_length=q.max_length,
                options=options,
            )
        )
    if errors:
        raise questions_invalid(errors)
    return out


def changes_until(starts_at: dt.datetime, cutoff_hours: int) -> dt.datetime:
    return starts_at - dt.timedelta(hours=cutoff_hours)


def may_change(now: dt.datetime, starts_at: dt.datetime, cutoff_hours: int) -> bool:
    """Names and answers change until the cut-off (the event's start less the hours)."""
    return now < changes_until(starts_at, cutoff_hours)


def _check_answers(
    questions: Sequence[Question],
    answers: Mapping[str, Any],
    prefix: str,
    required: list[FieldError],
    invalid: list[FieldError],
) -> dict[str, str | list[str]]:
    """The answers to keep (blank ones dropped), with what is wrong added to the lists."""
    by_id = {q.question_id: q for q in questions}
    kept: dict[str, str | list[str]] = {}
    for qid in answers:
        if qid not in by_id:
            invalid.append(FieldError(f"{prefix}answers.{qid}", "no such question", rules.INVALID))
    for q in questions:
        field = f"{prefix}answers.{q.question_id}"
        value = answers.get(q.question_id)
        if q.kind == "multiple":
            if isinstance(value, str):
                value = [value] if value else []
            ticked = [v for v in (value or []) if v]
            if any(v not in q.options for v in ticked) or len(set(ticked)) != len(ticked):
                invalid.append(FieldError(field, "not one of the options", rules.CHOICE))
            elif ticked:
                kept[q.question_id] = [o for o in q.options if o in ticked]
            elif q.required:
                required.append(FieldError(field, "an answer is required", rules.REQUIRED))
            continue
        if isinstance(value, list):
            invalid.append(FieldError(field, "one answer expected", rules.TYPE))
            continue
        text = (value or "").strip()
        if not text:
            if q.required:
                required.append(FieldError(field, "an answer is required", rules.REQUIRED))
        elif q.kind == "choice" and text not in q.options:
            invalid.append(FieldError(field, "not one of the options", rules.CHOICE))
        elif q.kind == "text" and len(text) > q.max_length:
            invalid.append(FieldError(field, f"at most {q.max_length} characters", rules.TOO_LONG))
        elif q.kind == "text" and rules.has_controls(text.replace("\n", " ")):
            invalid.append(FieldError(field, "control characters", rules.CONTROL_CHARS))
        else:
            kept[q.question_id] = text
    return kept


class Checked:
    """A form that passed: each ticket's name and answers, and the order's answers."""

    def __init__(
        self, tickets: dict[str, tuple[str, dict[str, str | list[str]]]], answers: dict[str, Any]
    ) -> None:
        self.tickets = tickets
        self.answers = answers


def check_form(
    form: OrderAttendeesIn,
    *,
    names: str,
    questions: Sequence[Question],
    ticket_ids: Sequence[str],
) -> Checked:
    """The fan's form against the event's rules; raises the 422 problem listing every field
    that is wrong. `ticket_ids`: the order's tickets the fan may name."""
    required: list[FieldError] = []
    invalid: list[FieldError] = []
    per_ticket = [q for q in questions if q.per == "ticket"]
    per_order = [q for q in questions if q.per == "order"]
    allowed = set(ticket_ids)
    tickets: dict[str, tuple[str, dict[str, str | list[str]]]] = {}
    for i, entry in enumerate(form.tickets):
        prefix = f"tickets[{i}]."
        if entry.ticket_id not in allowed or entry.ticket_id in tickets:
            invalid.append(FieldError(f"{prefix}ticket_id", "not a ticket of this order"))
            continue
        name = " ".join(entry.name.split())
        if name and names == "off":
            invalid.append(FieldError(f"{prefix}name", "names are not asked", rules.INVALID))
        elif not name and names == "required":
            required.append(FieldError(f"{prefix}name", "a name is required", rules.REQUIRED))
        kept = _check_answers(per_ticket, entry.answers, prefix, required, invalid)
        tickets[entry.ticket_id] = (name, kept)
    order_answers = _check_answers(per_order, form.answers, "", required, invalid)
    if invalid:
        raise answer_invalid(invalid + required)
    if required:
        raise answer_required(required)
    return Checked(tickets, order_answers)


def missing_count(
    *,
    names: str,
    questions: Sequence[Question],
    tickets: Sequence[tuple[str, Mapping[str, Any]]],
    order_answers: Mapping[str, Any],
) -> int:
    """How many required names and answers an order still lacks (for the fan's prompt)."""
    missing = 0
    for name, answers in tickets:
        if names == "required" and not name:
            missing += 1
        missing += sum(
            1
            for q in questions
            if q.per == "ticket" and q.required and not answers.get(q.question_id)
        )
    missing += sum(
        1
        for q in questions
        if q.per == "order" and q.required and not order_answers.get(q.question_id)
    )
    return missing


def question_of(raw: Mapping[str, Any]) -> Question:
    return Question(
        question_id=str(raw["question_id"]),
        label=str(raw["label"]),
        kind=raw["kind"],
        required=bool(raw["required"]),
        per=raw.get("per", "ticket"),
        max_length=int(raw.get("max_length", 200)),
        options=[str(o) for o in raw.get("options", [])],
    )


def answer_text(value: Any) -> str:
    """An answer as one cell: the options ticked joined by "; "."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)
