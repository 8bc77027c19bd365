"""The public RoomSnapshot and the signed join receipt: a fan's place without a per-fan call."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.core.settings import Settings
from app.core.signed import BadCode
from app.queue import receipt
from tests.support.api import Api, bulk_fans
from tests.support.queue import Admitter, room


@pytest.fixture
async def admitter(settings: Settings) -> AsyncIterator[Admitter]:
    a = Admitter(settings)
    yield a
    await a.close()


def payload(code: str) -> list[Any]:
    """What a client reads from a receipt, without any key."""
    part = code.split(".")[1]
    data: list[Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


async def test_snapshot_is_public_cacheable_and_the_same_for_everyone(api: Api) -> None:
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room(admit_batch_size=2))
    url = f"/api/v1/events/{event['event_id']}/room"
    r = await api.client.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "public, max-age=1"
    body = r.json()
    assert body["state"] == "open"
    assert body["admitted_through"] == 0
    assert body["admit_rate_per_min"] == 0
    assert set(body) == {"state", "admitted_through", "admit_rate_per_min", "updated_at"}
    # No cookie, no Authorization: nothing per fan, so any cache may share it.
    assert "set-cookie" not in r.headers


async def test_unknown_and_draft_events_have_no_room(api: Api) -> None:
    org = await api.user("organizer")
    draft = await api.event(org, publish=False)
    for event_id in (draft["event_id"], "00000000-0000-4000-8000-000000000000", "nope"):
        r = await api.client.get(f"/api/v1/events/{event_id}/room")
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "not_found"


async def test_receipt_and_snapshot_bound_the_people_ahead(
    api: Api, settings: Settings, admitter: Admitter
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, waiting_room=room(admit_batch_size=2))
    ev = event["event_id"]
    fans = await bulk_fans(settings, 5)
    receipts = []
    for i, fan in enumerate(fans):
        r = await api.client.post(f"/api/v1/events/{ev}/queue", headers=fan.headers)
        assert r.status_code == 201, r.text
        code = r.json()["receipt"]
        claim = receipt.verify(settings.secret_key, code)
        assert (claim.event_id, claim.position, claim.admitted_through) == (ev, i + 1, 0)
        assert payload(code)[:3] == [ev, i + 1, 0]
        receipts.append(claim)

    assert (await admitter.tick(ev)).admitted == 2
    snap = (await api.client.get(f"/api/v1/events/{ev}/room")).json()
    assert snap["admitted_through"] == 2
    for fan, claim in zip(fans, receipts, strict=True):
        status = (await api.client.get(f"/api/v1/events/{ev}/queue", headers=fan.headers)).json()
        if status["state"] == "admitted":
            assert claim.position <= 2
            assert "receipt" not in status
            continue
        # What the client computes from its receipt and the shared snapshot alone.
        assert receipt.ahead_bound(claim, snap["admitted_through"]) == status["ahead"]
        fresh = receipt.verify(settings.secret_key, status["receipt"])
        assert (fresh.position, fresh.admitted_through) == (status["position"], 2)

    # A fan who leaves makes the bound err on the far side, never the near one.
    await api.client.delete(f"/api/v1/events/{ev}/queue", headers=fans[2].headers)
    last = (await api.client.get(f"/api/v1/events/{ev}/queue", headers=fans[4].headers)).json()
    assert receipt.ahead_bound(receipts[4], snap["admitted_through"]) >= last["ahead"]


def test_a_forged_receipt_does_not_verify(settings: Settings) -> None:
    claim = receipt.Receipt("e", 1, 0, 0)
    code = receipt.CODEC.sign(settings.secret_key, claim)
    assert receipt.verify(settings.secret_key, code) == claim
    forged = receipt.CODEC.sign("another-secret-key-of-some-attacker-0123456789", claim)
    with pytest.raises(BadCode):
        receipt.verify(settings.secret_key, forged)
