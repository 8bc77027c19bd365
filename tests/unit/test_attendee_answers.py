"""The rules of names and answers on their own: questions settled when the organizer saves
them, a fan's form checked field by field, the cut-off, the missing count."""

from __future__ import annotations

import datetime as dt

import pytest

from app.attendees import answers
from app.attendees.schemas import OrderAttendeesIn, QuestionIn, TicketAttendeeIn
from app.core.errors import AppError

MEAL = QuestionIn(question_id="meal", label="Meal", kind="choice", options=["Meat", "Vegan"],
                  required=True)  # fmt: skip
TOPICS = QuestionIn(question_id="topics", label="Topics", kind="multiple", options=["A", "B"])
NOTE = QuestionIn(question_id="note", label="Note", max_length=5, per="order")
QUESTIONS = answers.settle_questions([MEAL, TOPICS, NOTE])


def form(*tickets: TicketAttendeeIn, **order: str | list[str]) -> OrderAttendeesIn:
    return OrderAttendeesIn(tickets=list(tickets), answers=dict(order))


def refused(f: OrderAttendeesIn, names: str = "required") -> AppError:
    with pytest.raises(AppError) as caught:
        answers.check_form(f, names=names, questions=QUESTIONS, ticket_ids=["t1", "t2"])
    return caught.value


def test_questions_keep_their_ids_and_new_ones_get_fresh_ones() -> None:
    fresh = answers.settle_questions([QuestionIn(label="  Size ", kind="text", options=["x"])])
    assert fresh[0].question_id
    assert fresh[0].label == "Size"
    assert fresh[0].options == []  # a text question keeps no options
    assert [q.question_id for q in QUESTIONS] == ["meal", "topics", "note"]


@pytest.mark.parametrize(
    ("question", "field"),
    [
        (QuestionIn(label="Size", kind="choice"), "questions[0].options"),
        (QuestionIn(label="Size", kind="multiple", options=["S", "S"]), "questions[0].options"),
        (QuestionIn(label="   "), "questions[0].label"),
    ],
)
def test_a_broken_question_is_refused_where_it_is(question: QuestionIn, field: str) -> None:
    with pytest.raises(AppError) as caught:
        answers.settle_questions([question])
    assert caught.value.status == 422
    assert [e.field for e in caught.value.errors or []] == [field]


def test_two_questions_with_one_id_are_refused() -> None:
    with pytest.raises(AppError):
        answers.settle_questions([MEAL, MEAL])


def test_a_good_form_is_kept_tidy() -> None:
    checked = answers.check_form(
        form(
            TicketAttendeeIn(ticket_id="t1", name="  Ada   Lovelace ", answers={"meal": "Vegan",
                             "topics": ["B", "A"]}),
            TicketAttendeeIn(ticket_id="t2", name="Bob", answers={"meal": "Meat", "topics": []}),
            note=" hi ",
        ),
        names="required",
        questions=QUESTIONS,
        ticket_ids=["t1", "t2"],
    )  # fmt: skip
    assert checked.tickets == {
        "t1": ("Ada Lovelace", {"meal": "Vegan", "topics": ["A", "B"]}),
        "t2": ("Bob", {"meal": "Meat"}),
    }
    assert checked.answers == {"note": "hi"}


def test_only_missing_answers_are_answer_required() -> None:
    err = refused(form(TicketAttendeeIn(ticket_id="t1")))
    assert (err.code, err.status) == ("answer_required", 422)
    assert {(e.field, e.rule) for e in err.errors or []} == {
        ("tickets[0].name", "required"),
        ("tickets[0].answers.meal", "required"),
    }


def test_anything_wrong_is_answer_invalid_and_lists_the_missing_too() -> None:
    err = refused(
        form(
            TicketAttendeeIn(ticket_id="t1", name="A", answers={"meal": "Fish"}),
            TicketAttendeeIn(ticket_id="t2", answers={"meal": ["Meat"], "topics": ["C"]}),
            TicketAttendeeIn(ticket_id="t3", name="C"),
            note="toolong",
        )
    )
    assert err.code == "answer_invalid"
    assert {(e.field, e.rule) for e in err.errors or []} == {
        ("tickets[0].answers.meal", "choice"),
        ("tickets[1].answers.meal", "type"),
        ("tickets[1].answers.topics", "choice"),
        ("tickets[2].ticket_id", "invalid"),
        ("answers.note", "too_long"),
        ("tickets[1].name", "required"),
    }


def test_a_name_where_names_are_off_and_a_ticket_twice_are_refused() -> None:
    err = refused(
        form(
            TicketAttendeeIn(ticket_id="t1", name="A", answers={"meal": "Meat"}),
            TicketAttendeeIn(ticket_id="t1", answers={"meal": "Meat"}),
        ),
        names="off",
    )
    assert {e.field for e in err.errors or []} == {"tickets[0].name", "tickets[1].ticket_id"}


def test_the_cut_off_is_hours_before_the_start() -> None:
    start = dt.datetime(2026, 12, 24, 20, tzinfo=dt.UTC)
    assert answers.may_change(start - dt.timedelta(hours=25), start, 24)
    assert not answers.may_change(start - dt.timedelta(hours=24), start, 24)
    assert not answers.may_change(start, start, 0)


def test_the_missing_count() -> None:
    assert (
        answers.missing_count(
            names="required",
            questions=QUESTIONS,
            tickets=[("", {}), ("Bob", {"meal": "Meat"})],
            order_answers={},
        )
        == 2  # a name and a meal; the order's note is optional
    )
