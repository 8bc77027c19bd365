"""Round trips of the waiting room's hot paths: every check on them rides a call they
already make (join, status, a stream's open), counted per request like the holds'."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from msgspec.structs import replace

from app.asgi import create_app
from app.core.settings import Settings
from app.queue import receipt
from tests.support.api import Api, bulk_fans
from tests.support.queue import room
from tests.support.roundtrips import round_trips
from waiting_room import chance


def q(event_id: str) -> str:
    return f"/api/v1/events/{event_id}/queue"


async def test_a_status_in_line_is_one_round_trip_receipt_included(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receipt's admitted-through count comes from the status script (it was an HGET
    of its own), and the session check from the process's mirror."""
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room())
    first, second = await bulk_fans(settings, 2)
    for fan in (first, second):
        assert (await api.client.post(q(event["event_id"]), headers=fan.headers)).is_success
    await api.client.get(q(event["event_id"]), headers=second.headers)  # chance cached
    with round_trips(monkeypatch) as sent:
        r = await api.client.get(q(event["event_id"]), headers=second.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "waiting"
    assert body["position"] == 2
    assert sent == ["EVALSHA"], sent
    claim = receipt.verify(settings.secret_key, body["receipt"])
    assert (claim.event_id, claim.position, claim.admitted_through) == (event["event_id"], 2, 0)


async def test_the_chance_figures_are_one_round_trip_a_second(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a second per process, a status also reads the chance's figures: one pipeline,
    the count of stale holds in it (it was a ZCOUNT of its own after the pipeline)."""
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room())
    first, second = await bulk_fans(settings, 2)
    for fan in (first, second):
        assert (await api.client.post(q(event["event_id"]), headers=fan.headers)).is_success
    await api.client.get(q(event["event_id"]), headers=second.headers)  # hold life known
    chance._cache.clear()  # the figures are due again
    with round_trips(monkeypatch) as sent:
        r = await api.client.get(q(event["event_id"]), headers=second.headers)
    assert r.status_code == 200, r.text
    assert sent == ["EVALSHA", "HGETALL"], sent


async def test_a_join_is_two_round_trips(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proof-of-work difficulty (setting and surge, one pipeline), then the join with
    its status in one pipeline: the party check and the receipt ride the scripts."""
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room())
    first, second = await bulk_fans(settings, 2)
    assert (await api.client.post(q(event["event_id"]), headers=first.headers)).is_success
    await api.client.get(q(event["event_id"]), headers=second.headers)  # session, chance warm
    with round_trips(monkeypatch) as sent:
        r = await api.client.post(q(event["event_id"]), headers=second.headers)
    assert r.status_code == 201, r.text
    assert r.json()["receipt"]
    assert sent == ["GET", "EVALSHA"], sent


async def test_the_stream_limits_cost_no_round_trip_of_their_own(
    settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """stream_ip and stream_account are counted by the status script a stream opens with."""
    sent: dict[str, list[str]] = {}
    for limits in (
        "stream_ip=off;stream_account=off",
        "stream_ip=300/minute;stream_account=30/minute",
    ):
        api = Api(
            AsyncTestClient(app=create_app(replace(settings, rate_limits=limits))), database_url
        )
        async with api.client:
            org = await api.user("organizer")
            # No waiting room: joining admits at once, and a stream ends after its first
            # message (a final state).
            event = await api.event(org, waiting_room=room(enabled=False))
            (fan,) = await bulk_fans(settings, 1)
            assert (await api.client.post(q(event["event_id"]), headers=fan.headers)).is_success
            await api.client.get(q(event["event_id"]), headers=fan.headers)
            with round_trips(monkeypatch) as sent[limits]:
                r = await api.client.get(q(event["event_id"]) + "/stream", headers=fan.headers)
            assert r.status_code == 200, r.text
            assert '"state":"admitted"' in r.text
    off, on = sent.values()
    assert on == off, sent


async def test_the_stream_limit_still_limits(settings: Settings, database_url: str) -> None:
    limits = "stream_account=2/minute"
    api = Api(AsyncTestClient(app=create_app(replace(settings, rate_limits=limits))), database_url)
    async with api.client:
        org = await api.user("organizer")
        event = await api.event(org, waiting_room=room(enabled=False))
        fan, other = await bulk_fans(settings, 2)
        for who in (fan, other):
            assert (await api.client.post(q(event["event_id"]), headers=who.headers)).is_success
        url = q(event["event_id"]) + "/stream"
        assert (await api.client.get(url, headers=fan.headers)).status_code == 200
        assert (await api.client.get(url, headers=fan.headers)).status_code == 200
        r = await api.client.get(url, headers=fan.headers)
        assert r.status_code == 429, r.text
        assert r.json()["code"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        # Per account: another fan still opens its stream.
        assert (await api.client.get(url, headers=other.headers)).status_code == 200
