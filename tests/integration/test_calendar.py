"""The event's .ics file (what "Add to calendar" on a fan's tickets opens): public for a
published event, an RFC 5545 VEVENT at the event's start, hidden like the event for a draft."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import Api, assert_problem


async def test_calendar_file_of_a_published_event(
    client: AsyncTestClient[Litestar], api: Api
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, name="Roof, Garden; Night", venue="Hall 7")
    r = await client.get(f"/api/v1/events/{event['event_id']}/calendar.ics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    assert "attachment" in r.headers["content-disposition"]
    lines = r.content.decode().split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert "BEGIN:VEVENT" in lines
    assert "SUMMARY:Roof\\, Garden\\; Night" in lines
    assert "LOCATION:Hall 7" in lines
    starts = datetime.fromisoformat(event["starts_at"]).astimezone(UTC)
    assert f"DTSTART:{starts.strftime('%Y%m%dT%H%M%SZ')}" in lines


async def test_a_draft_has_no_public_calendar_file(
    client: AsyncTestClient[Litestar], api: Api
) -> None:
    org = await api.user("organizer")
    draft = await api.event(org, publish=False)
    r = await client.get(f"/api/v1/events/{draft['event_id']}/calendar.ics")
    assert_problem(r, 404, "not_found")
    mine = await client.get(f"/api/v1/events/{draft['event_id']}/calendar.ics", headers=org.headers)
    assert mine.status_code == 200
