"""Problem `detail` in the caller's language (Accept-Language), `title` and `code` unchanged."""

from __future__ import annotations

import pytest

from app.core.settings import Settings
from tests.support import checkout as h
from tests.support.api import Api, assert_problem, bulk_fans


@pytest.mark.parametrize(
    ("accept", "language", "detail"),
    [
        ("de", "de", "Im Bereich FLOOR sind nur noch 1 der 2 gewünschten Plätze frei"),
        (
            "fr-CH, fr;q=0.9, en;q=0.5",
            "fr",
            "Il reste 1 des 2 places demandées dans la section FLOOR",
        ),
        ("da, es;q=0.8", "es", "A la sección FLOOR le quedan 1 de los 2 asientos solicitados"),
        ("en-GB", None, "Section FLOOR has 1 of 2 requested seats left"),
        ("xx-YY", None, "Section FLOOR has 1 of 2 requested seats left"),
    ],
)
async def test_sold_out_hold_detail_follows_accept_language(
    api: Api, settings: Settings, accept: str, language: str | None, detail: str
) -> None:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 1}]
    event = await api.event(org, sections=sections)
    fan = (await bulk_fans(settings, 1))[0]
    token = await h.admit(api.client, event["event_id"], fan)
    r = await api.client.post(
        f"/api/v1/events/{event['event_id']}/holds",
        json={"section": "FLOOR", "quantity": 2},
        headers={
            **fan.headers,
            "X-Admission-Token": token or "",
            "Idempotency-Key": "k-" + accept,
            "Accept-Language": accept,
        },
    )
    body = assert_problem(r, 409, "sold_out")
    assert body["title"] == "Sold out"  # stable whatever the language
    assert body["detail"] == detail
    assert r.headers.get("content-language") == language
    assert "accept-language" in r.headers.get("vary", "").lower()


async def test_not_found_detail_translates_the_noun_too(api: Api) -> None:
    r = await api.client.get(
        "/api/v1/events/00000000-0000-7000-8000-000000000000",
        headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    body = assert_problem(r, 404, "not_found")
    assert body["title"] == "Not found"
    assert body["detail"] == "Veranstaltung nicht gefunden"


async def test_untranslated_detail_stays_english(api: Api) -> None:
    # Field-level validation messages come from the validator: English, code unchanged.
    r = await api.client.post(
        "/api/v1/auth/register", json={"email": "x"}, headers={"Accept-Language": "fr"}
    )
    body = assert_problem(r, 400, "invalid_request")
    assert body["title"] == "Invalid request"
    assert "content-language" not in r.headers
