"""Issue 22, findings 4, 5 and 16: text that reaches a header, a file name or a log line has no
control characters; NUL in a path or query is a 400, never a 500; every field error carries
a machine-readable field and rule."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api, event_body

CONTROL = "control_chars"


def field_errors(r: Any, status: int) -> list[dict[str, Any]]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["code"] == "invalid_request", body
    errors: list[dict[str, Any]] = body["errors"]
    return errors


# --- finding 5: NUL in queries and paths -----------------------------------------------------
async def test_nul_in_query_strings_and_paths_is_400_not_500(api: Api) -> None:
    admin = await api.user("admin")
    org = await api.user("organizer")
    ev = (await api.event(org))["event_id"]
    for path, headers in [
        ("/api/v1/manage/orders?q=a%00b", org.headers),
        ("/api/v1/admin/users?q=a%00b", admin.headers),
        ("/api/v1/admin/users?q=a%0D%0Ab", admin.headers),
        ("/api/v1/admin/users?q=%C2%85", admin.headers),  # C1 NEL
    ]:
        r = await api.client.get(path, headers=headers)
        assert field_errors(r, 400) == [
            {
                "field": "q",
                "rule": CONTROL,
                "message": "control characters (such as NUL) are not allowed",
            }
        ], path
    r = await api.client.post(
        f"/api/v1/events/{ev}/sections/%00/capacity", json={"delta": 1}, headers=org.headers
    )
    assert [(e["field"], e["rule"]) for e in field_errors(r, 400)] == [("code", CONTROL)]
    r = await api.client.get("/api/v1/orders/a%00b", headers=org.headers)
    assert r.status_code in (400, 404), r.text  # never a 500
    r = await api.client.get("/api/v1/admin/users?q=%FF", headers=admin.headers)
    assert [e["rule"] for e in field_errors(r, 400)] == ["format"]
    # Ordinary text, unicode included, still searches.
    r = await api.client.get("/api/v1/admin/users?q=J%C3%BCrgen+M", headers=admin.headers)
    assert r.status_code == 200, r.text


# --- finding 4: CR/LF in text fields ---------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "N\r\nBcc: x@evil.example"), ("venue", "Hall\n1"), ("name", "Tab\tName")],
    ids=["name-crlf", "venue-lf", "name-tab"],
)
async def test_control_characters_in_an_event_text_field_are_refused(
    api: Api, field: str, value: str
) -> None:
    org = await api.user("organizer")
    ev = (await api.event(org))["event_id"]
    r = await api.client.patch(f"/api/v1/events/{ev}", json={field: value}, headers=org.headers)
    assert [(e["field"], e["rule"]) for e in field_errors(r, 400)] == [(field, CONTROL)]
    r = await api.client.get(f"/api/v1/events/{ev}", headers=org.headers)
    assert r.json()[field] != value


async def test_control_characters_in_section_and_display_names_are_refused(api: Api) -> None:
    org = await api.user("organizer")
    bad = [{"code": "FLOOR", "name": "Floor\r\nX-Evil: 1", "price_cents": 100, "capacity": 5}]
    r = await api.client.post(
        "/api/v1/events", json={**event_body(), "sections": bad}, headers=org.headers
    )
    assert [(e["field"], e["rule"]) for e in field_errors(r, 400)] == [
        ("sections[0].name", CONTROL)
    ]
    r = await api.client.patch("/api/v1/me", json={"name": "Eve\r\nBcc: x"}, headers=org.headers)
    assert [(e["field"], e["rule"]) for e in field_errors(r, 400)] == [("name", CONTROL)]
    r = await api.client.post(
        "/api/v1/auth/register",
        json={"email": "nl@example.com", "password": "long enough pass", "name": "A\nB"},
    )
    assert [(e["field"], e["rule"]) for e in field_errors(r, 400)] == [("name", CONTROL)]
    # Unicode names are fine.
    r = await api.client.patch("/api/v1/me", json={"name": "Zoë Ångström"}, headers=org.headers)
    assert r.status_code == 200, r.text


# --- finding 16: every field error has a field and a rule ------------------------------------
async def test_field_errors_carry_a_rule_from_the_vocabulary(api: Api) -> None:
    short = await api.client.post(
        "/api/v1/auth/register", json={"email": "r@example.com", "password": "short"}
    )
    # The password policy (app.auth.passwords) answers 422 with its rule.
    assert [(e["field"], e["rule"]) for e in field_errors(short, 422)] == [
        ("password", "too_short")
    ]
    missing = await api.client.post("/api/v1/auth/register", json={"password": "long enough"})
    assert [(e["field"], e["rule"]) for e in field_errors(missing, 400)] == [("email", "required")]
    typed = await api.client.post(
        "/api/v1/auth/register", json={"email": 42, "password": "long enough"}
    )
    assert [(e["field"], e["rule"]) for e in field_errors(typed, 400)] == [("email", "type")]
    org = await api.user("organizer")
    ev = (await api.event(org))["event_id"]
    r = await api.client.patch(
        f"/api/v1/events/{ev}", json={"timezone": "Mars/Olympus"}, headers=org.headers
    )
    assert [(e["field"], e["rule"]) for e in field_errors(r, 422)] == [("timezone", "format")]
    # Every error has a message for people reading the raw answer, beside the rule.
    for r in (short, missing, typed):
        assert all(e["message"] for e in r.json()["errors"])


async def test_a_webhook_host_that_cannot_be_encoded_is_refused_not_a_500(api: Api) -> None:
    """Found by the Unicode schemathesis run: a host label longer than IDNA allows, or a port
    out of range, made the address check raise instead of refusing."""
    org = await api.user("organizer")
    for url in ["http://" + "0" * 300 + "/", "https://a.example:99999/"]:
        r = await api.client.post(
            "/api/v1/organizer/webhooks",
            json={"url": url, "topics": ["sale.sold_out"]},
            headers=org.headers,
        )
        assert r.status_code == 422, (url, r.text)
        assert [e["field"] for e in r.json()["errors"]] == ["url"]
