"""Notifications against real Redis, Postgres, localstripe, a real SMTP server (aiosmtpd)
and a real local HTTP receiver; the worker's notification tick runs in the test process
(tests/acceptance/test_notification_worker.py runs it in real, killed, worker processes)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pypdf
import pytest

from app.checkout import sweeper
from app.core import keys
from app.core.metrics import NOTIFICATION_DEAD
from app.core.settings import Settings
from app.notifications import signing
from app.orders import finalize, refunds
from app.tickets import codes as ticket_codes
from devtools.mailsink import MailSink, attachments_of, text_of
from tests.support import checkout as h
from tests.support.api import Api, User, assert_problem
from tests.support.notify import Receiver, Worker, decode_qr, http_receiver
from tests.support.queue import Admitter, room

PROVIDER_SECRET = "provider-secret-for-the-notification-tests"


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
def settings(settings: Settings, stripe_base: str, sink: MailSink, receiver: Receiver) -> Settings:
    return msgspec.structs.replace(
        h.with_stripe(settings, stripe_base),
        smtp_url=sink.url,
        sms_url=receiver.url + "/sms",
        push_url=receiver.url + "/push",
        provider_secret=PROVIDER_SECRET,
        notify_backoff_s=0.05,
        notify_max_attempts=3,
        webhook_allow_private=True,  # the receiver listens on 127.0.0.1
    )


@pytest.fixture
async def worker(resources: Any) -> AsyncIterator[Worker]:
    w = Worker(resources)
    yield w
    await w.close()


async def set_locale(api: Api, fan: User, locale: str) -> None:
    r = await api.client.patch("/api/v1/me", json={"locale": locale}, headers=fan.headers)
    assert r.status_code == 200, r.text


async def buy(api: Api, resources: Any, event_id: str, fan: User, quantity: int = 2) -> str:
    r = await h.hold(api.client, event_id, fan, quantity)
    assert r.status_code == 201, r.text
    r = await h.checkout(api.client, fan, r.json()["hold_id"])
    assert r.status_code == 201, r.text
    pi = r.json()["payment_intent_id"]
    assert await finalize.finalize_payment(resources, pi) == "confirmed"
    order_id: str = r.json()["order_id"]
    return order_id


async def deliveries(database_url: str, kind: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT d.*, o.kind FROM deliveries d JOIN outbox o USING (message_id) "
            "WHERE o.kind = $1 ORDER BY d.delivery_id",
            kind,
        )
    finally:
        await conn.close()
    return [dict(r) for r in rows]


async def test_purchase_sends_one_confirmation_in_the_buyers_language_with_verifying_qr(
    api: Api, settings: Settings, resources: Any, worker: Worker, sink: MailSink
) -> None:
    org = await api.user("organizer")
    # Static codes allowed: an emailed QR code gets in (else the email carries none).
    event = await api.event(org, name="Nachtkonzert", venue="Halle 1", static_codes=True)
    fan = await api.user("fan")
    await set_locale(api, fan, "de")
    order_id = await buy(api, resources, event["event_id"], fan, 2)

    await worker.drain(3)
    mail = sink.messages()
    assert len(mail) == 1, [m.message["Subject"] for m in mail]
    msg = mail[0].message
    assert msg["To"] == fan.email
    assert msg["Subject"] == "Deine Tickets für Nachtkonzert"
    assert msg["Content-Language"] == "de"
    text = text_of(msg)
    assert "Vielen Dank für deine Bestellung" in text
    assert "100,00\xa0€" in text  # money formatted by Babel for de
    order = (await api.client.get(f"/api/v1/orders/{order_id}", headers=fan.headers)).json()
    codes = sorted(t["code"] for t in order["tickets"])

    parts = attachments_of(msg)
    images = [data for ctype, _, data in parts if ctype == "image/png"]
    assert len(images) == 2
    decoded = sorted(text for png in images for text in decode_qr(png))
    assert decoded == codes
    public = (await api.client.get(f"/api/v1/events/{event['event_id']}/scanner-key")).text
    for code in decoded:
        claim = ticket_codes.verify(code, ticket_codes.parse_public_keys(public)).claim
        assert claim.event_id == event["event_id"]
    calendars = [data for ctype, name, data in parts if ctype == "text/calendar"]
    assert len(calendars) == 1
    ics = calendars[0].decode()
    assert "BEGIN:VEVENT" in ics
    assert "SUMMARY:Nachtkonzert" in ics
    assert "DTSTART:" in ics
    # The receipt, in the buyer's language, its text read back from the PDF.
    (receipt,) = [data for ctype, _, data in parts if ctype == "application/pdf"]
    pdf_text = " ".join(
        " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(receipt)).pages)
        .replace("\xa0", " ")
        .split()
    )
    assert "Beleg" in pdf_text, pdf_text
    assert "Bezahlt 100,00 €" in pdf_text, pdf_text

    # More ticks send nothing more: one message per delivery.
    await worker.drain(3)
    assert len(sink.messages()) == 1
    rows = await deliveries(settings.database_url, "order_confirmed")
    assert [(r["channel"], r["status"], r["attempts"]) for r in rows] == [("email", "sent", 1)]
    assert msg["Message-ID"] == f"<delivery-{rows[0]['delivery_id']}@onsale.local>"


async def test_without_static_codes_the_email_sends_the_fan_to_the_app(
    api: Api, settings: Settings, resources: Any, worker: Worker, sink: MailSink
) -> None:
    """Where only the app's rotating code gets in, a static QR code in an email would be a
    ticket that the door refuses: the email carries none and says to use the app."""
    org = await api.user("organizer")
    event = await api.event(org, name="Live Only")
    fan = await api.user("fan")
    await buy(api, resources, event["event_id"], fan, 2)
    await worker.drain(3)
    (mail,) = sink.messages()
    assert [c for c, _, _ in attachments_of(mail.message) if c == "image/png"] == []
    text = text_of(mail.message)
    assert "show your tickets in the Onsale app" in text
    assert "T2." not in text


async def test_accept_language_does_not_change_the_email_language_of_the_profile(
    api: Api, resources: Any, worker: Worker, sink: MailSink
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, name="Noche")
    fan = await api.user("fan")
    await set_locale(api, fan, "es")
    await buy(api, resources, event["event_id"], fan, 1)
    await worker.drain(2)
    (mail,) = sink.messages()
    assert mail.message["Subject"] == "Tus entradas para Noche"
    assert mail.message["Content-Language"] == "es"


async def test_admitting_a_fan_sends_one_your_turn_message(
    api: Api, settings: Settings, worker: Worker, sink: MailSink
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, name="Queue Night", waiting_room=room(admit_batch_size=1))
    fans = [await api.user("fan") for _ in range(2)]
    await set_locale(api, fans[0], "fr")
    for fan in fans:
        r = await api.client.post(f"/api/v1/events/{event['event_id']}/queue", headers=fan.headers)
        assert r.status_code == 201, r.text
        assert r.json()["state"] == "waiting"

    admitter = Admitter(settings)
    try:
        result = await admitter.tick(event["event_id"])
        assert (result.outcome, result.admitted) == ("admitted", 1)
        await worker.drain(3)
        # The same admission seen by more ticks: still one message.
        mail = sink.messages()
        assert len(mail) == 1
        assert mail[0].message["To"] == fans[0].email
        assert mail[0].message["Subject"] == "C'est votre tour pour Queue Night"
    finally:
        await admitter.close()
    rows = await deliveries(settings.database_url, "your_turn")
    assert [(r["target"], r["status"]) for r in rows] == [(fans[0].email, "sent")]


async def test_smtp_down_retries_then_dead_letters_with_the_metric(
    api: Api, settings: Settings, resources: Any, worker: Worker, sink: MailSink
) -> None:
    org = await api.user("organizer")
    event = await api.event(org)
    fan = await api.user("fan")
    sink.stop()  # the SMTP server is down
    await buy(api, resources, event["event_id"], fan, 1)

    import asyncio

    statuses: list[tuple[str, int]] = []
    for _ in range(40):
        await worker.tick()
        (row,) = await deliveries(settings.database_url, "order_confirmed")
        statuses.append((row["status"], row["attempts"]))
        if row["status"] == "dead":
            break
        await asyncio.sleep(0.1)
    assert row["status"] == "dead", statuses
    assert row["attempts"] == settings.notify_max_attempts
    assert "pending" in {s for s, _ in statuses}  # retried in between, after a backoff
    assert "Connect" in row["last_error"] or "refused" in row["last_error"], row["last_error"]
    assert NOTIFICATION_DEAD.labels("email")._value.get() == 1


async def test_sms_and_push_go_through_the_signed_provider_per_preferences(
    api: Api, settings: Settings, resources: Any, worker: Worker, receiver: Receiver
) -> None:
    org = await api.user("organizer")
    event = await api.event(org, name="Push Night")
    fan = await api.user("fan")
    r = await api.client.get("/api/v1/me/notifications", headers=fan.headers)
    assert r.json() == {
        "email": True,
        "sms": False,
        "push": False,
        "phone": None,
        "push_token": None,
    }
    r = await api.client.put(
        "/api/v1/me/notifications", json={"sms": True, "email": False}, headers=fan.headers
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "phone"
    prefs = {
        "email": False,
        "sms": True,
        "push": True,
        "phone": "+4915112345678",
        "push_token": "device-token-1",
    }
    r = await api.client.put("/api/v1/me/notifications", json=prefs, headers=fan.headers)
    assert r.status_code == 200
    assert r.json() == prefs

    await buy(api, resources, event["event_id"], fan, 1)
    await worker.drain(3)
    sms, push = receiver.on("/sms"), receiver.on("/push")
    assert len(sms) == 1
    assert len(push) == 1
    for hit, channel, to in ((sms[0], "sms", prefs["phone"]), (push[0], "push", "device-token-1")):
        assert signing.verify(PROVIDER_SECRET, hit.body, hit.headers[signing.HEADER])
        assert not signing.verify("another secret", hit.body, hit.headers[signing.HEADER])
        body = hit.json()
        assert (body["channel"], body["to"], body["kind"]) == (channel, to, "order_confirmed")
        assert "Push Night" in body["title"]
        assert hit.headers["Idempotency-Key"] == f"delivery-{body['delivery_id']}"


async def test_integrator_webhooks_signed_retried_logged_with_sold_out_and_refund(
    api: Api, settings: Settings, resources: Any, worker: Worker, receiver: Receiver
) -> None:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 2}]
    event = await api.event(org, sections=sections)
    event_id = event["event_id"]
    base = f"/api/v1/events/{event_id}/webhooks"
    r = await api.client.post(
        base,
        json={
            "url": receiver.url + "/hook",
            "topics": ["order.confirmed", "sale.sold_out", "order.refunded"],
        },
        headers=org.headers,
    )
    assert r.status_code == 201, r.text
    hook = r.json()
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    listed = (await api.client.get(base, headers=org.headers)).json()["items"]
    assert [w["webhook_id"] for w in listed] == [hook["webhook_id"]]
    assert "secret" not in listed[0]
    # Another organizer sees nothing of it; fans may not configure webhooks.
    other = await api.user("organizer")
    assert (await api.client.get(base, headers=other.headers)).status_code == 404
    fan = await api.user("fan")
    r = await api.client.post(
        base, json={"url": "http://x.test/h", "topics": ["order.confirmed"]}, headers=fan.headers
    )
    assert r.status_code == 403
    r = await api.client.post(
        base, json={"url": "ftp://x", "topics": ["nope"]}, headers=org.headers
    )
    assert_problem(r, 400, "invalid_request")

    receiver.statuses = [500]  # the first delivery fails once, then succeeds
    order_id = await buy(api, resources, event_id, fan, 2)  # the last 2 seats: sold out
    import asyncio

    for _ in range(20):
        await worker.tick()
        if len(receiver.on("/hook")) >= 3:
            break
        await asyncio.sleep(0.1)
    hits = receiver.on("/hook")
    for hit in hits:
        assert signing.verify(secret, hit.body, hit.headers[signing.HEADER])
    types = [hit.json()["type"] for hit in hits]
    assert sorted(set(types)) == ["order.confirmed", "sale.sold_out"]
    assert types.count("order.confirmed") == 2  # the 500, then the retry
    assert types.count("sale.sold_out") == 1
    confirmed = [hit.json() for hit in hits if hit.json()["type"] == "order.confirmed"]
    assert confirmed[0]["id"] == confirmed[1]["id"]  # the same event id on the retry
    assert confirmed[0]["data"]["order_id"] == order_id
    assert "ticket_codes" not in confirmed[0]["data"]

    log = (
        await api.client.get(f"{base}/{hook['webhook_id']}/deliveries", headers=org.headers)
    ).json()["items"]
    by_topic = {d["topic"]: d for d in log}
    assert by_topic["order.confirmed"]["status"] == "sent"
    assert by_topic["order.confirmed"]["attempts"] == 2
    assert by_topic["order.confirmed"]["response_status"] == 200
    assert by_topic["sale.sold_out"]["status"] == "sent"

    r = await api.client.post(f"/api/v1/orders/{order_id}/refund", json={}, headers=org.headers)
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, order_id) == "refunded"
    for _ in range(10):
        await worker.tick()
        if any(hit.json()["type"] == "order.refunded" for hit in receiver.on("/hook")):
            break
        await asyncio.sleep(0.1)
    refunded = [
        hit.json() for hit in receiver.on("/hook") if hit.json()["type"] == "order.refunded"
    ]
    assert len(refunded) == 1
    assert refunded[0]["data"]["order_id"] == order_id

    r = await api.client.delete(f"{base}/{hook['webhook_id']}", headers=org.headers)
    assert r.status_code == 204
    assert (await api.client.get(base, headers=org.headers)).json()["items"] == []


async def test_organizer_catch_all_webhook_receives_every_event(
    api: Api, resources: Any, worker: Worker, receiver: Receiver
) -> None:
    org = await api.user("organizer")
    r = await api.client.post(
        "/api/v1/organizer/webhooks",
        json={"url": receiver.url + "/all", "topics": ["order.confirmed"]},
        headers=org.headers,
    )
    assert r.status_code == 201, r.text
    fan = await api.user("fan")
    for name in ("One", "Two"):
        event = await api.event(org, name=name)
        await buy(api, resources, event["event_id"], fan, 1)
    await worker.drain(3)
    assert len(receiver.on("/all")) == 2
    listed = (await api.client.get("/api/v1/organizer/webhooks", headers=org.headers)).json()
    hook_id = listed["items"][0]["webhook_id"]
    log = (
        await api.client.get(
            f"/api/v1/organizer/webhooks/{hook_id}/deliveries", headers=org.headers
        )
    ).json()["items"]
    assert [d["status"] for d in log] == ["sent", "sent"]


async def test_refund_cancellation_nudge_and_reminder_reach_the_fan(
    api: Api, settings: Settings, resources: Any, worker: Worker, sink: MailSink
) -> None:
    settings = msgspec.structs.replace(settings, notify_nudge_s=900, notify_reminder_s=20 * 86400)
    resources.settings = settings
    org = await api.user("organizer")
    event = await api.event(org, name="Later")
    fan = await api.user("fan")
    order_id = await buy(api, resources, event["event_id"], fan, 1)

    # A hold that is not paid: the nudge (its expiry is within notify_nudge_s).
    r = await h.hold(api.client, event["event_id"], fan, 1)
    assert r.status_code == 201, r.text
    # A checkout that is never paid: past its deadline the sweeper cancels the order.
    r2 = await h.hold(api.client, event["event_id"], fan, 1)
    abandoned = (await h.checkout(api.client, fan, r2.json()["hold_id"], None)).json()
    await resources.redis.zadd(keys.checkouts(event["event_id"]), {r2.json()["hold_id"]: 1})
    assert await sweeper.sweep_all(resources) == {"expired": 1}

    from workers.notifications import reminders_tick

    assert await reminders_tick(worker.ctx) == 1
    assert await reminders_tick(worker.ctx) == 0  # once per order
    r = await api.client.post(f"/api/v1/orders/{order_id}/refund", json={}, headers=org.headers)
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, order_id) == "refunded"
    await worker.drain(3)

    subjects = sorted(m.message["Subject"] for m in sink.messages())
    nudges = [s for s in subjects if s.startswith("Your seats for Later are held until")]
    assert len(nudges) == 1, subjects  # the unpaid active hold; the swept one is over
    assert sorted(set(subjects) - set(nudges)) == [
        "Reminder: Later is coming up",
        "Your order for Later was cancelled",
        "Your refund for Later",
        "Your tickets for Later",
    ]
    assert len(subjects) == 5
    cancelled = next(m for m in sink.messages() if "cancelled" in m.message["Subject"])
    assert "The time to pay ran out." in text_of(cancelled.message)
    assert abandoned["order_id"][:8] in text_of(cancelled.message)


async def test_webhooks_to_private_addresses_are_refused_unless_allowed(
    api: Api, settings: Settings, resources: Any, worker: Worker, receiver: Receiver
) -> None:
    org = await api.user("organizer")
    event = await api.event(org)
    base = f"/api/v1/events/{event['event_id']}/webhooks"
    r = await api.client.post(
        base, json={"url": receiver.url + "/x", "topics": ["order.confirmed"]}, headers=org.headers
    )
    assert r.status_code == 201, r.text  # allowed in this test's settings
    strict = msgspec.structs.replace(settings, webhook_allow_private=False)
    from litestar.testing import AsyncTestClient

    from app.asgi import create_app

    async with AsyncTestClient(app=create_app(strict)) as client:
        for url in ("http://127.0.0.1:6379/", "http://169.254.169.254/latest", "http://10.0.0.1/"):
            r = await client.post(
                base, json={"url": url, "topics": ["order.confirmed"]}, headers=org.headers
            )
            body = assert_problem(r, 422, "invalid_request")
            assert body["errors"][0]["field"] == "url"
    # A worker without the allowance refuses at send time too (dead at once, not retried).
    resources.settings = strict
    fan = await api.user("fan")
    await buy(api, resources, event["event_id"], fan, 1)
    strict_worker = Worker(resources)
    try:
        await strict_worker.drain(2)
    finally:
        await strict_worker.close()
    assert receiver.on("/x") == []
    (row,) = [
        d
        for d in await deliveries(settings.database_url, "order_confirmed")
        if d["channel"] == "webhook"
    ]
    assert row["status"] == "dead"
    assert row["attempts"] == 1
    assert "refused" in row["last_error"]


async def test_an_event_name_with_line_breaks_or_unicode_still_mails_without_a_new_header(
    api: Api, settings: Settings, resources: Any, worker: Worker, sink: MailSink
) -> None:
    """Issue 22 finding 4: a name with CR/LF made every email about its event fail to build
    (then dead-lettered). The API refuses it now; one stored before (or written around the
    API) is put on one line and encoded by the email library, so the fan still gets the
    tickets and no header is added."""
    org = await api.user("organizer")
    event = await api.event(org, name="Zoë’s Nacht 🎵", venue="Halle 1")
    fan = await api.user("fan")
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            "UPDATE events SET name = $1 WHERE event_id = $2::uuid",
            "Zoë’s Nacht 🎵\r\nBcc: x@evil.example",
            event["event_id"],
        )
    finally:
        await conn.close()
    await buy(api, resources, event["event_id"], fan, 1)
    await worker.drain(3)
    (mail,) = sink.messages()
    msg = mail.message
    assert msg["To"] == fan.email
    assert msg["Bcc"] is None
    assert msg["Subject"] == "Your tickets for Zoë’s Nacht 🎵 Bcc: x@evil.example"
    raw = mail.path.read_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    assert not [line for line in head.splitlines() if line.lower().startswith(b"bcc")]
    assert b"Subject: Your tickets for =?utf-8?" in head  # encoded words, not raw UTF-8
    rows = await deliveries(settings.database_url, "order_confirmed")
    assert [(r["channel"], r["status"], r["attempts"]) for r in rows] == [("email", "sent", 1)]


async def test_a_dead_webhook_delivery_is_replayed_by_its_owner_only(
    api: Api, resources: Any, worker: Worker, receiver: Receiver
) -> None:
    """A receiver that was down: the delivery dead-letters after its attempts; the organizer
    replays it (the same delivery id and body, a fresh budget) and it arrives. Nobody else can
    replay it, through any webhook id; one being sent right now is refused with 409."""
    import asyncio

    org = await api.user("organizer")
    event = await api.event(org)
    event_id = event["event_id"]
    base = f"/api/v1/events/{event_id}/webhooks"
    r = await api.client.post(
        base,
        json={"url": receiver.url + "/down", "topics": ["order.confirmed"]},
        headers=org.headers,
    )
    assert r.status_code == 201, r.text
    hook_id = r.json()["webhook_id"]
    receiver.statuses = [503, 503, 503]  # every attempt of the budget (3) fails
    fan = await api.user("fan")
    order_id = await buy(api, resources, event_id, fan, 1)
    log_path = f"{base}/{hook_id}/deliveries"
    for _ in range(40):
        await worker.tick()
        log = (await api.client.get(log_path, headers=org.headers)).json()["items"]
        if log and log[0]["status"] == "dead":
            break
        await asyncio.sleep(0.05)
    (dead,) = log
    assert (dead["status"], dead["attempts"], dead["response_status"]) == ("dead", 3, 503)
    assert len(receiver.on("/down")) == 3
    first_body = receiver.on("/down")[0].json()
    replay = f"{log_path}/{dead['delivery_id']}/replay"

    # Nobody else: another organizer (with a webhook of their own), a fan, no token.
    rival = await api.user("organizer")
    rival_event = await api.event(rival)
    r = await api.client.post(
        f"/api/v1/events/{rival_event['event_id']}/webhooks",
        json={"url": receiver.url + "/rival", "topics": ["order.confirmed"]},
        headers=rival.headers,
    )
    rival_hook = r.json()["webhook_id"]
    for path, who in (
        (replay, rival),
        (
            f"/api/v1/events/{rival_event['event_id']}/webhooks/{rival_hook}"
            f"/deliveries/{dead['delivery_id']}/replay",
            rival,
        ),
        (f"/api/v1/organizer/webhooks/{hook_id}/deliveries/{dead['delivery_id']}/replay", org),
    ):
        r = await api.client.post(path, headers=who.headers)
        assert_problem(r, 404, "not_found")
    assert (await api.client.post(replay, headers=fan.headers)).status_code == 403
    assert (await api.client.post(replay)).status_code == 401
    r = await api.client.post(f"{log_path}/{dead['delivery_id'] + 999}/replay", headers=org.headers)
    assert_problem(r, 404, "not_found")
    r = await api.client.post(f"{log_path}/{2**63}/replay", headers=org.headers)
    assert r.status_code in (400, 422), r.text  # beyond a bigint: refused at the edge
    await worker.drain(3)
    assert len(receiver.on("/down")) == 3  # none of that sent anything, nor will
    (still,) = (await api.client.get(log_path, headers=org.headers)).json()["items"]
    assert (still["status"], still["attempts"]) == ("dead", 3)

    # The owner replays it: due now, a fresh budget; it arrives once, the same delivery.
    r = await api.client.post(replay, headers=org.headers)
    assert r.status_code == 202, r.text
    assert (r.json()["status"], r.json()["attempts"]) == ("pending", 0)
    for _ in range(20):
        await worker.tick()
        if len(receiver.on("/down")) == 4:
            break
        await asyncio.sleep(0.05)
    hits = receiver.on("/down")
    assert len(hits) == 4
    assert hits[3].headers["Onsale-Delivery"] == str(dead["delivery_id"])
    assert hits[3].json() == first_body
    assert hits[3].json()["data"]["order_id"] == order_id
    (sent,) = (await api.client.get(log_path, headers=org.headers)).json()["items"]
    assert (sent["status"], sent["attempts"], sent["response_status"]) == ("sent", 1, 200)
    await worker.drain(3)
    assert len(receiver.on("/down")) == 4  # sent is sent: no second copy

    # While a worker holds it (its lease running), a replay would race the send: 409.
    conn = await asyncpg.connect(api.database_url)
    try:
        await conn.execute(
            "UPDATE deliveries SET status = 'sending', lease_until = now() + interval '1 minute'"
            " WHERE delivery_id = $1",
            dead["delivery_id"],
        )
    finally:
        await conn.close()
    r = await api.client.post(replay, headers={**org.headers, "Accept-Language": "de"})
    body = assert_problem(r, 409, "delivery_in_flight")
    assert "gerade gesendet" in body["detail"]

    r = await api.client.get(
        "/api/v1/admin/audit",
        params={"action": "webhook.replay"},
        headers=(await api.user("admin")).headers,
    )
    (entry,) = r.json()["items"]
    assert (entry["actor_email"], entry["event_name"]) == (org.email, event["name"])
    assert entry["detail"] == {"delivery_id": dead["delivery_id"], "topic": "order.confirmed"}


async def test_ticket_moves_reach_both_fans_in_their_language(
    api: Api, settings: Settings, resources: Any, worker: Worker, sink: MailSink
) -> None:
    from app.moves import resale
    from tests.support.moves import ALL_ON

    org = await api.user("organizer")
    event = await api.event(org, name="Hafenkonzert", sections=[
        {"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 2}])  # fmt: skip
    event_id = event["event_id"]
    r = await api.client.put(
        f"/api/v1/events/{event_id}/move-rules",
        json={**ALL_ON, "resale_fee_cents": 500},
        headers=org.headers,
    )
    assert r.status_code == 200, r.text
    seller, friend, buyer = await api.user("fan"), await api.user("fan"), await api.user("fan")
    await set_locale(api, friend, "de")
    order_id = await buy(api, resources, event_id, seller, 2)
    order = (await api.client.get(f"/api/v1/orders/{order_id}", headers=seller.headers)).json()
    first, second = order["tickets"]
    r = await api.client.post(
        f"/api/v1/tickets/{first['ticket_id']}/transfer",
        json={"email": friend.email},
        headers=seller.headers,
    )
    assert r.status_code == 201, r.text
    await worker.drain(3)
    offered = [m for m in sink.messages() if m.message["To"] == friend.email]
    assert [m.message["Subject"] for m in offered] == [
        "Ein Ticket für Hafenkonzert wartet auf dich"
    ]
    r = await api.client.post(
        f"/api/v1/transfers/{r.json()['transfer_id']}/accept", headers=friend.headers
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"/api/v1/tickets/{second['ticket_id']}/resale", headers=seller.headers
    )
    assert r.status_code == 201, r.text
    await buy(api, resources, event_id, buyer, 1)
    assert await resale.pay_sellers(resources) == {"paid": 1, "failed": 0}
    await worker.drain(3)

    to_seller = sorted(
        m.message["Subject"] for m in sink.messages() if m.message["To"] == seller.email
    )
    assert to_seller == [
        "Your ticket for Hafenkonzert was resold",
        "Your ticket for Hafenkonzert was transferred",
        "Your tickets for Hafenkonzert",
    ]
    resold = next(m for m in sink.messages() if "resold" in m.message["Subject"])
    assert "€45.00" in text_of(resold.message)  # face value minus the organizer's fee
    to_friend = sorted(
        m.message["Subject"] for m in sink.messages() if m.message["To"] == friend.email
    )
    assert to_friend == [
        "Dein Ticket für Hafenkonzert",
        "Ein Ticket für Hafenkonzert wartet auf dich",
    ]
    received = next(
        m for m in sink.messages() if m.message["Subject"] == "Dein Ticket für Hafenkonzert"
    )
    assert "Ticket 1 im Bereich Floor" in text_of(received.message)
