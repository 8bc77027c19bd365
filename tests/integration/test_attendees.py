"""Attendee names and custom questions on real Postgres, Redis and localstripe: the organizer's
names rule and questions, the buyer's form (validated field by field, refused after the
cut-off), the names in the attendee and orders exports, on the order, in My tickets and on the
scan result, and the seller's details read back from the receipt PDF."""

from __future__ import annotations

import csv
import io
from typing import Any

import pypdf
import pytest

from app.core.settings import Settings
from tests.integration.test_orgs import member
from tests.support import checkout as h
from tests.support.api import Api, User, assert_problem
from tests.support.tickets import buy, live_code, scan, scanner_of


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


QUESTIONS: list[dict[str, Any]] = [
    {"label": "Company", "kind": "text", "max_length": 20, "per": "order", "required": True},
    {"label": "Meal", "kind": "choice", "options": ["Meat", "Vegan"], "required": True},
    {"label": "Workshops", "kind": "multiple", "options": ["A", "B", "C"]},
]


async def set_attendees(api: Api, org: User, event_id: str, **body: Any) -> dict[str, Any]:
    r = await api.client.put(
        f"/api/v1/events/{event_id}/attendee-settings", json=body, headers=org.headers
    )
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def sale_with_questions(
    api: Api, settings: Settings, resources: Any, **rules: Any
) -> tuple[User, str, User, dict[str, Any], dict[str, Any]]:
    """An event asking required names and QUESTIONS, with a fan's paid order of two."""
    org = await api.user("organizer")
    event = await api.event(org)
    saved = await set_attendees(
        api, org, event["event_id"], names="required", cutoff_hours=24, questions=QUESTIONS,
        **rules,
    )  # fmt: skip
    fan, order = await buy(api, settings, resources, event["event_id"])
    return org, event["event_id"], fan, order, saved


def qid(saved: dict[str, Any], label: str) -> str:
    return str(next(q["question_id"] for q in saved["questions"] if q["label"] == label))


async def test_names_and_answers_are_saved_shown_and_exported(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id, fan, order, saved = await sale_with_questions(api, settings, resources)
    company, meal, workshops = (qid(saved, x) for x in ("Company", "Meal", "Workshops"))
    path = f"/api/v1/orders/{order['order_id']}/attendees"

    r = await api.client.get(path, headers=fan.headers)
    assert r.status_code == 200, r.text
    form = r.json()
    assert (form["names"], form["editable"]) == ("required", True)
    assert [t["name_missing"] for t in form["tickets"]] == [True, True]
    assert form["missing"] == 2 + 2 + 1  # two names, two meals, the company
    first, second = (t["ticket_id"] for t in form["tickets"])

    body = {
        "tickets": [
            {"ticket_id": first, "name": " Ada  Lovelace ", "answers": {meal: "Vegan"}},
            {"ticket_id": second, "name": "=HYPERLINK(1)", "answers": {meal: "Meat",
                                                                       workshops: ["C", "A"]}},
        ],
        "answers": {company: "Analytical Ltd"},
    }  # fmt: skip
    r = await api.client.put(path, json=body, headers=fan.headers)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["missing"] == 0
    assert [t["name"] for t in done["tickets"]] == ["Ada Lovelace", "=HYPERLINK(1)"]
    # Options come back in the question's order.
    assert done["tickets"][1]["answers"] == {meal: "Meat", workshops: ["A", "C"]}

    r = await api.client.get(f"/api/v1/orders/{order['order_id']}", headers=fan.headers)
    assert [t["attendee_name"] for t in r.json()["tickets"]] == ["Ada Lovelace", "=HYPERLINK(1)"]
    r = await api.client.get("/api/v1/me/tickets", headers=fan.headers)
    assert {t["attendee_name"] for t in r.json()["tickets"]} == {"Ada Lovelace", "=HYPERLINK(1)"}

    # The attendee export: one row per ticket, the name and a column per question.
    r = await api.client.get(f"/api/v1/events/{event_id}/attendees", headers=org.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["attendee_name"] for row in rows] == ["Ada Lovelace", "'=HYPERLINK(1)"]
    assert [row["Meal"] for row in rows] == ["Vegan", "Meat"]
    assert [row["Workshops"] for row in rows] == ["", "A; C"]
    assert [row["Company"] for row in rows] == ["Analytical Ltd"] * 2  # asked once per order
    assert {row["email"] for row in rows} == {fan.email}
    # The orders export names them too.
    r = await api.client.get(
        f"/api/v1/events/{event_id}/orders", params={"format": "csv"}, headers=org.headers
    )
    (line,) = list(csv.DictReader(io.StringIO(r.text)))
    assert line["attendee_names"] == "Ada Lovelace; =HYPERLINK(1)"

    # A question edited with its id keeps its answers; the organizer's list reads back.
    kept = [q for q in saved["questions"] if q["label"] != "Workshops"]
    again = await set_attendees(api, org, event_id, names="optional", questions=kept)
    assert [q["question_id"] for q in again["questions"]] == [company, meal]
    r = await api.client.get(f"/api/v1/events/{event_id}/attendees", headers=org.headers)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert "Workshops" not in rows[0]
    assert rows[0]["Meal"] == "Vegan"


async def test_the_form_is_checked_field_by_field_in_the_fans_language(
    api: Api, settings: Settings, resources: Any
) -> None:
    _, _, fan, order, saved = await sale_with_questions(api, settings, resources)
    company, meal, workshops = (qid(saved, x) for x in ("Company", "Meal", "Workshops"))
    path = f"/api/v1/orders/{order['order_id']}/attendees"
    first, second = (t["ticket_id"] for t in order["tickets"])

    # Missing required answers only: answer_required, every field named.
    body = assert_problem(
        await api.client.put(
            path,
            json={"tickets": [{"ticket_id": first, "name": ""}, {"ticket_id": second}]},
            headers={**fan.headers, "Accept-Language": "de"},
        ),
        422,
        "answer_required",
    )
    assert body["detail"] == "Einige erforderliche Namen oder Antworten fehlen"
    assert {e["field"] for e in body["errors"]} == {
        "tickets[0].name", f"tickets[0].answers.{meal}",
        "tickets[1].name", f"tickets[1].answers.{meal}", f"answers.{company}",
    }  # fmt: skip
    assert {e["rule"] for e in body["errors"]} == {"required"}

    # Something wrong: answer_invalid, with its rule.
    body = assert_problem(
        await api.client.put(
            path,
            json={
                "tickets": [
                    {"ticket_id": first, "name": "A", "answers": {meal: "Fish"}},
                    {"ticket_id": second, "name": "B",
                     "answers": {meal: "Meat", workshops: ["Z"], "nosuch": "x"}},
                ],
                "answers": {company: "x" * 21},
            },
            headers={**fan.headers, "Accept-Language": "fr"},
        ),
        422,
        "answer_invalid",
    )  # fmt: skip
    assert body["detail"] == "Certains noms ou réponses ne sont pas valides"
    rules = {e["field"]: e["rule"] for e in body["errors"]}
    assert rules == {
        f"tickets[0].answers.{meal}": "choice",
        f"tickets[1].answers.{workshops}": "choice",
        "tickets[1].answers.nosuch": "invalid",
        f"answers.{company}": "too_long",
    }
    # A ticket of another order is not this order's to name.
    _, other = await buy(api, settings, resources, order["event_id"], 1)
    body = assert_problem(
        await api.client.put(
            path,
            json={"tickets": [{"ticket_id": other["tickets"][0]["ticket_id"], "name": "X"}]},
            headers=fan.headers,
        ),
        422,
        "answer_invalid",
    )
    assert body["errors"][0]["field"] == "tickets[0].ticket_id"
    # A name with a line break never gets in; wrong types are the schema's 400.
    assert_problem(
        await api.client.put(
            path, json={"tickets": [{"ticket_id": first, "name": "A\nB"}]}, headers=fan.headers
        ),
        400,
        "invalid_request",
    )
    # Nothing was saved by any refused form.
    r = await api.client.get(path, headers=fan.headers)
    assert [t["name"] for t in r.json()["tickets"]] == ["", ""]


async def test_names_close_at_the_cut_off(api: Api, settings: Settings, resources: Any) -> None:
    org, event_id, fan, order, _ = await sale_with_questions(api, settings, resources)
    path = f"/api/v1/orders/{order['order_id']}/attendees"
    # The event starts in ten days: a cut-off of 300 hours has passed.
    await set_attendees(api, org, event_id, names="optional", cutoff_hours=300)
    r = await api.client.get(path, headers=fan.headers)
    assert r.json()["editable"] is False
    body = assert_problem(
        await api.client.put(
            path,
            json={"tickets": [{"ticket_id": order["tickets"][0]["ticket_id"], "name": "Late"}]},
            headers={**fan.headers, "Accept-Language": "es"},
        ),
        409,
        "attendee_changes_closed",
    )
    assert body["detail"] == "Los nombres y respuestas ya no se pueden cambiar para este evento"
    await set_attendees(api, org, event_id, names="optional", cutoff_hours=239)
    r = await api.client.put(
        path,
        json={"tickets": [{"ticket_id": order["tickets"][0]["ticket_id"], "name": "In time"}]},
        headers=fan.headers,
    )
    assert r.status_code == 200, r.text


async def test_only_the_buyer_names_and_only_the_organization_configures(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id, fan, order, _ = await sale_with_questions(api, settings, resources)
    stranger, other_org = await api.user(), await api.user("organizer")
    path = f"/api/v1/orders/{order['order_id']}/attendees"
    for who in (stranger, org, other_org):
        assert_problem(await api.client.get(path, headers=who.headers), 404, "not_found")
        assert_problem(await api.client.put(path, json={}, headers=who.headers), 404, "not_found")
    settings_path = f"/api/v1/events/{event_id}/attendee-settings"
    assert_problem(await api.client.get(settings_path, headers=other_org.headers), 404, "not_found")
    assert_problem(
        await api.client.put(settings_path, json={}, headers=other_org.headers), 404, "not_found"
    )
    assert_problem(
        await api.client.get(f"/api/v1/events/{event_id}/attendees", headers=other_org.headers),
        404,
        "not_found",
    )
    assert_problem(await api.client.get(settings_path, headers=fan.headers), 403, "forbidden")
    # A choice without options is refused where it is.
    body = assert_problem(
        await api.client.put(
            settings_path,
            json={"questions": [{"label": "Size", "kind": "choice"}]},
            headers=org.headers,
        ),
        422,
        "invalid_request",
    )
    assert body["errors"][0]["field"] == "questions[0].options"


async def test_the_scanner_shows_the_name_and_admits_a_ticket_without_one(
    api: Api, settings: Settings, resources: Any
) -> None:
    org, event_id, fan, order, saved = await sale_with_questions(api, settings, resources)
    first, second = order["tickets"]
    # The optional rule lets one ticket stay unnamed; then the rule becomes required again.
    await set_attendees(api, org, event_id, names="optional", cutoff_hours=24)
    r = await api.client.put(
        f"/api/v1/orders/{order['order_id']}/attendees",
        json={"tickets": [{"ticket_id": first["ticket_id"], "name": "Grace Hopper"}]},
        headers=fan.headers,
    )
    assert r.status_code == 200, r.text
    await set_attendees(api, org, event_id, names="required", cutoff_hours=24, questions=[
        {**q, "question_id": qid(saved, q["label"])} for q in QUESTIONS if q["label"] != "Workshops"
    ])  # fmt: skip
    scanner = await scanner_of(api, org, event_id)
    # The scanner's offline copy carries the names too.
    r = await api.client.get(f"/api/v1/events/{event_id}/checkin-data", headers=scanner.headers)
    assert r.status_code == 200, r.text
    offline = {t["ticket_id"]: t["attendee_name"] for t in r.json()["tickets"]}
    assert offline == {first["ticket_id"]: "Grace Hopper", second["ticket_id"]: ""}
    named = await scan(api, scanner, live_code(first))
    assert (named["result"], named["attendee_name"]) == ("admitted", "Grace Hopper")
    assert "name_missing" not in named
    # The door's rule: a ticket without its required name gets in; the scanner says so.
    unnamed = await scan(api, scanner, live_code(second))
    assert unnamed["result"] == "admitted"
    assert unnamed["name_missing"] is True
    assert "attendee_name" not in unnamed


async def test_the_receipt_names_the_seller_as_the_owner_set_it(
    api: Api, settings: Settings, resources: Any
) -> None:
    org = await api.user("organizer")
    event = await api.event(org)
    r = await api.client.get("/api/v1/orgs", headers=org.headers)
    org_id = r.json()["items"][0]["org_id"]
    path = f"/api/v1/orgs/{org_id}/seller"
    r = await api.client.get(path, headers=org.headers)
    assert r.status_code == 200, r.text
    assert r.json()["legal_name"] == ""
    r = await api.client.put(
        path,
        json={
            "legal_name": "Konzertbüro Müller GmbH",
            "address": "Hauptstraße 5\r\n\n10115 Berlin\nDeutschland",
            "vat_id": "DE123456789",
        },
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["address"] == "Hauptstraße 5\n10115 Berlin\nDeutschland"
    fan, order = await buy(api, settings, resources, event["event_id"], 1)
    r = await api.client.get(
        f"/api/v1/orders/{order['order_id']}/receipt", params={"lang": "de"}, headers=fan.headers
    )
    assert r.status_code == 200, r.text
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(r.content)).pages)
    assert "Verkäufer: Konzertbüro Müller GmbH" in text, text
    assert "Hauptstraße 5" in text
    assert "10115 Berlin" in text
    assert "USt-IdNr.: DE123456789" in text, text

    # Only the owner changes them; a member reads; another organization sees nothing.
    manager = await member(api, settings, org, org_id, "manager")
    r = await api.client.get(path, headers=manager.headers)
    assert r.json()["vat_id"] == "DE123456789"
    assert_problem(
        await api.client.put(path, json={"vat_id": "X"}, headers=manager.headers), 403, "forbidden"
    )
    other = await api.user("organizer")
    assert_problem(await api.client.get(path, headers=other.headers), 404, "not_found")
    assert_problem(await api.client.put(path, json={}, headers=other.headers), 404, "not_found")
    assert_problem(
        await api.client.put(path, json={"address": "a\x07b"}, headers=org.headers),
        400,
        "invalid_request",
    )
