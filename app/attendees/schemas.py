"""Bodies of the attendee endpoints: an event's names rule and questions, an order's names and
answers, the organization's seller details."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.core.rules import LINE, NO_CONTROLS

NamesMode = Literal["off", "optional", "required"]
QuestionKind = Literal["text", "choice", "multiple"]
AskedPer = Literal["ticket", "order"]
QuestionId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9]{1,16}$")]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=200), LINE]
OptionText = Annotated[str, msgspec.Meta(min_length=1, max_length=100), LINE]
# A text answer (text, choice) or the options ticked (multiple). Lengths are checked against
# the question (app.attendees.answers), which names the field that is wrong.
Answer = (
    Annotated[str, msgspec.Meta(max_length=10_000)]
    | Annotated[list[Annotated[str, msgspec.Meta(max_length=200)]], msgspec.Meta(max_length=100)]
)
Answers = Annotated[dict[QuestionId, Answer], msgspec.Meta(max_length=50)]
Name = Annotated[str, msgspec.Meta(max_length=200, pattern=NO_CONTROLS)]


class QuestionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One question. Leave `question_id` out for a new one; keep it to keep its answers."""

    question_id: QuestionId | None = None
    label: Label
    kind: QuestionKind = "text"
    required: bool = False
    per: Annotated[
        AskedPer, msgspec.Meta(description="Asked for each ticket, or once per order")
    ] = "ticket"
    max_length: Annotated[
        int, msgspec.Meta(ge=1, le=2000, description="Longest text answer (text questions)")
    ] = 200
    options: Annotated[list[OptionText], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )


class AttendeeSettingsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    names: Annotated[
        NamesMode,
        msgspec.Meta(description="Ask each ticket's attendee name: off, optional, required"),
    ] = "off"
    cutoff_hours: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=8760,
            description="Fans may change names and answers until this many hours "
            "before the event starts",
        ),
    ] = 0
    questions: Annotated[list[QuestionIn], msgspec.Meta(max_length=30)] = msgspec.field(
        default_factory=list
    )


class Question(msgspec.Struct, kw_only=True):
    question_id: str
    label: str
    kind: QuestionKind
    required: bool
    per: AskedPer
    max_length: int
    options: list[str]


class AttendeeSettings(msgspec.Struct, kw_only=True):
    event_id: str
    names: NamesMode
    cutoff_hours: int
    questions: list[Question]


class TicketAttendeeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ticket_id: Annotated[str, msgspec.Meta(max_length=64)]
    name: Name = ""
    answers: Answers = msgspec.field(default_factory=dict)


class OrderAttendeesIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The whole form: each ticket's name and answers, and the order's own answers."""

    tickets: Annotated[list[TicketAttendeeIn], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    answers: Answers = msgspec.field(default_factory=dict)


class TicketAttendee(msgspec.Struct, kw_only=True):
    ticket_id: str
    section: str
    seq: int
    seat_row: str | None
    seat_number: str | None
    name: str
    # The event requires names and this ticket has none yet.
    name_missing: bool
    answers: dict[str, str | list[str]]


class OrderAttendees(msgspec.Struct, kw_only=True):
    order_id: str
    event_id: str
    names: NamesMode
    questions: list[Question]
    # Until when the fan may change names and answers (the event's start less the cut-off).
    changes_until: datetime
    editable: bool
    tickets: list[TicketAttendee]
    answers: dict[str, str | list[str]]
    # How many tickets still lack a required name, plus required answers not given.
    missing: int
