"""QueueStatus over HTTP: `eta_s` is null (present) when it cannot be known honestly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.settings import Settings
from tests.support.api import Api, bulk_fans


async def test_eta_is_null_while_paused_and_unmeasured(api: Api, settings: Settings) -> None:
    org = await api.user("organizer")
    room = {"enabled": True, "admit_batch_size": 1, "admit_interval_s": 10}
    event = await api.event(org, waiting_room=room)
    url = f"/api/v1/events/{event['event_id']}/queue"
    fans = await bulk_fans(settings, 3)
    for fan in fans:
        r = await api.client.post(url, headers=fan.headers)
        assert r.status_code == 201, r.text
    body = (await api.client.get(url, headers=fans[2].headers)).json()
    assert body["state"] == "waiting"
    assert "eta_s" in body
    assert body["eta_s"] is None  # no admission measured yet
    assert "eta_confidence" not in body
    r = await api.client.post(f"/api/v1/events/{event['event_id']}/pause", headers=org.headers)
    assert r.status_code == 200
    body = (await api.client.get(url, headers=fans[2].headers)).json()
    assert body["eta_s"] is None


async def test_prequeue_front_knows_the_open(api: Api, settings: Settings) -> None:
    org = await api.user("organizer")
    opens = datetime.now(UTC) + timedelta(seconds=120)
    room = {"enabled": True, "admit_batch_size": 1, "admit_interval_s": 10}
    event = await api.event(org, onsale_at=opens.isoformat(), waiting_room=room)
    url = f"/api/v1/events/{event['event_id']}/queue"
    first, second = await bulk_fans(settings, 2)
    body = (await api.client.post(url, headers=first.headers)).json()
    assert body["state"] == "prequeue"
    assert 100 <= body["eta_s"] <= 121
    low, high = body["eta_range_s"]
    assert low == body["eta_s"]
    assert high == body["eta_s"] + 10
    body = (await api.client.post(url, headers=second.headers)).json()
    assert body["eta_s"] is None  # behind the first batch: unknown until measured
