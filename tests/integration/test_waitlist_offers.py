"""Waiting-list offers that bite (real Redis, Postgres and SMTP): an offer is made only when the
seats that came back cover the whole request, with the right quantity and amount; declining
frees the seats at once; the offer reaches the fan by email (and the SMS/push hook) in the
profile's language."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from app.core.clock import now_ms
from app.core.resources import Resources
from app.core.settings import Settings
from app.holds.scripts import hold_scripts
from app.waitlist import service
from devtools.mailsink import MailSink, text_of
from tests.support.api import Api
from tests.support.holds import assert_conserved, create_fans, inventory
from tests.support.notify import Receiver, Worker, http_receiver
from tests.support.waitlist import WaitingList, hold_seats, small_event

PROVIDER_SECRET = secrets.token_urlsafe(24)  # made per run: nothing secret-like committed


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    server = MailSink(tmp_path / "mail")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as r:
        yield r


@pytest.fixture
def settings(settings: Settings, sink: MailSink, receiver: Receiver) -> Settings:
    return msgspec.structs.replace(
        settings,
        smtp_url=sink.url,
        sms_url=receiver.url + "/sms",
        push_url=receiver.url + "/push",
        provider_secret=PROVIDER_SECRET,
        notify_backoff_s=0.05,
    )


@pytest.fixture
async def worker(resources: Any) -> AsyncIterator[Worker]:
    w = Worker(resources)
    yield w
    await w.close()


async def expire(resources: Resources, event_id: str, hold_id: str) -> None:
    expired, _ = await hold_scripts(resources.scripts).expire(
        event_id, [hold_id], now_ms() + 3600_000
    )
    assert expired == 1


async def test_no_offer_for_more_seats_than_came_back_and_a_no_thanks_frees_them_at_once(
    api: Api, settings: Settings, resources: Resources
) -> None:
    _, event = await small_event(api, 3, max_per_user=4, max_per_order=4)
    event_id = event["event_id"]
    wl = WaitingList(api.client, event_id)
    pair, single, big, two = await create_fans(settings.database_url, settings.secret_key, 4)
    pair_hold = await hold_seats(api.client, resources, event_id, pair, 2)
    single_hold = await hold_seats(api.client, resources, event_id, single, 1)

    # First in line wants 3; second wants 2.
    assert (await wl.join(big.headers(), 3)).status_code == 201
    assert (await wl.join(two.headers(), 2)).status_code == 201

    # Two seats come back: fewer than the first fan wants. The first fan gets nothing (and
    # keeps the first place); the second fan's request fits and is offered exactly 2 seats.
    await expire(resources, event_id, pair_hold)
    offers = await service.offer_step(resources.scripts, event_id)
    assert len(offers) == 1
    inv = await inventory(resources.redis, event_id)
    assert_conserved(inv)
    assert (inv["available"], inv["held"], inv["sold"]) == (0, 3, 0)
    assert await wl.status(big.headers()) == {
        "state": "waiting",
        "section": "FLOOR",
        "quantity": 3,
        "position": 1,
    }
    offered = await wl.status(two.headers())
    assert offered["state"] == "offered"
    offer = offered["offer"]
    assert offer["hold_id"] == offers[0]
    assert (offer["quantity"], offer["amount_cents"], offer["currency"]) == (2, 10000, "EUR")
    r = await api.client.get(f"/api/v1/holds/{offer['hold_id']}", headers=two.headers())
    assert r.status_code == 200, r.text
    assert (r.json()["quantity"], r.json()["amount_cents"], r.json()["status"]) == (
        2,
        10000,
        "active",
    )

    # "No thanks": the offer's seats go back on sale at once, not at the hold's expiry.
    r = await api.client.delete(wl.path, headers=two.headers())
    assert r.status_code == 204, r.text
    inv = await inventory(resources.redis, event_id)
    assert_conserved(inv)
    assert (inv["available"], inv["held"]) == (2, 1)
    r = await api.client.get(wl.path, headers=two.headers())
    assert r.status_code == 404

    # Still two seats for a fan who wants three: no offer, and nothing goes below zero.
    assert await service.offer_step(resources.scripts, event_id) == []
    inv = await inventory(resources.redis, event_id)
    assert_conserved(inv)
    assert (inv["available"], inv["held"]) == (2, 1)
    assert (await wl.status(big.headers()))["state"] == "waiting"

    # The third seat comes back: now the request fits, whole.
    await expire(resources, event_id, single_hold)
    offers = await service.offer_step(resources.scripts, event_id)
    assert len(offers) == 1
    offer = (await wl.status(big.headers()))["offer"]
    assert (offer["quantity"], offer["amount_cents"]) == (3, 15000)
    inv = await inventory(resources.redis, event_id)
    assert_conserved(inv)
    assert (inv["available"], inv["held"]) == (0, 3)

    # Announced once, with what was offered.
    assert await service.notify_offers(resources.pool, resources.scripts, event_id) == 2
    rows = await resources.pool.fetch(
        "SELECT payload FROM outbox WHERE kind = 'waitlist_offer' ORDER BY message_id"
    )
    announced = sorted(
        (p["user_id"], p["quantity"], p["amount_cents"]) for p in (r["payload"] for r in rows)
    )
    assert announced == sorted([(two.user_id, 2, 10000), (big.user_id, 3, 15000)])


async def test_an_offer_reaches_the_fan_by_email_sms_and_push_in_their_language(
    api: Api,
    settings: Settings,
    resources: Resources,
    worker: Worker,
    sink: MailSink,
    receiver: Receiver,
) -> None:
    _, event = await small_event(api, 1, name="Small Hall", timezone="Europe/Berlin")
    event_id = event["event_id"]
    wl = WaitingList(api.client, event_id)
    buyer, fan = await create_fans(settings.database_url, settings.secret_key, 2)
    await resources.pool.execute(
        "UPDATE users SET locale = 'de' WHERE user_id = $1::uuid", fan.user_id
    )
    r = await api.client.put(
        "/api/v1/me/notifications",
        json={
            "email": True,
            "sms": True,
            "push": True,
            "phone": "+4915112345678",
            "push_token": "tok-1",
        },
        headers=fan.headers(),
    )
    assert r.status_code == 200, r.text
    bought = await hold_seats(api.client, resources, event_id, buyer, 1)
    assert (await wl.join(fan.headers(), 1)).status_code == 201
    await expire(resources, event_id, bought)
    assert len(await service.offer_step(resources.scripts, event_id)) == 1
    assert await service.notify_offers(resources.pool, resources.scripts, event_id) == 1
    await worker.drain(3)

    mail = sink.messages()
    assert len(mail) == 1
    message = mail[0].message
    assert (
        message["Subject"] == "Plätze für Small Hall sind wieder frei: sie sind für dich reserviert"
    )
    text = text_of(message)
    assert "Bereich: Floor. Plätze: 1. Gesamt: 50,00\xa0€." in text
    # The offer's end, in the event's zone and named.
    assert "MEZ" in text or "MESZ" in text or "CET" in text or "CEST" in text, text
    sms = receiver.on("/sms")
    push = receiver.on("/push")
    assert len(sms) == 1
    assert len(push) == 1
    for hit, channel, to in ((sms[0], "sms", "+4915112345678"), (push[0], "push", "tok-1")):
        body = hit.json()
        assert (body["channel"], body["to"], body["kind"]) == (channel, to, "waitlist_offer")
        assert "Small Hall" in body["body"]
