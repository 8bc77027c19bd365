"""A registration draw's news by email, against real Postgres, Redis and the SMTP server the
suite starts: the winners get their code, the fans on the list their place on it, a fan set
aside (another account of the same person) "not this time", each in their own language
with its plural forms; the outbox sends each once, and a refill that reaches a listed fan
sends that fan the winner's email."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path

import asyncpg
import msgspec
import pytest

from app.core import i18n
from app.core.settings import Settings
from devtools.mailsink import MailSink, text_of
from tests.support.api import PASSWORD, Api, User
from tests.support.notify import Worker
from tests.support.phases import close_registration, phase, verify_emails, window

LOCALES = ("en", "de", "es", "fr")
AHEAD = ("{ahead} fan is ahead of you on the list.", "{ahead} fans are ahead of you on the list.")


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    server = MailSink(tmp_path / "mail")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(settings: Settings, sink: MailSink) -> Settings:
    return msgspec.structs.replace(settings, smtp_url=sink.url, notify_backoff_s=0.05)


@pytest.fixture
async def worker(resources: object) -> AsyncIterator[Worker]:
    w = Worker(resources)
    yield w
    await w.close()


async def fan(api: Api, locale: str) -> User:
    user_id, email = await api.register("fan", locale=locale)
    return User(user_id, email, PASSWORD, await api.login(email, PASSWORD))


def mail_to(sink: MailSink, user: User) -> list[EmailMessage]:
    return [m.message for m in sink.messages() if m.message["To"] == user.email]


async def test_winners_the_list_and_those_set_aside_each_get_their_email(
    api: Api, settings: Settings, worker: Worker, sink: MailSink
) -> None:
    org = await api.user("organizer")
    eid = (await api.event(org, name="Summer Night"))["event_id"]
    p = await phase(api, org, eid, name="Verified fan", audience="draw", **window(30, 120))
    base = f"/api/v1/events/{eid}/phases/{p['phase_id']}"
    # Two fans per language; the last one shares a phone with the first (one person).
    fans = [await fan(api, loc) for loc in LOCALES for _ in range(2)]
    twin = await fan(api, "fr")
    await verify_emails(settings.database_url, [*fans, twin])
    conn = await asyncpg.connect(settings.database_url)
    try:
        for user in (fans[0], twin):
            await conn.execute(
                "INSERT INTO notification_prefs (user_id, phone) VALUES ($1, '+491701234567')",
                uuid.UUID(user.user_id),
            )
    finally:
        await conn.close()
    for user in [*fans, twin]:
        r = await api.client.post(f"{base}/registrations", json={}, headers=user.headers)
        assert r.status_code == 201, r.text
    await close_registration(settings.database_url, p["phase_id"])
    r = await api.client.post(f"{base}/draw", json={"codes": 2}, headers=org.headers)
    assert r.status_code == 200, r.text
    order: list[str] = r.json()["order"]
    assert len(order) == len(fans)  # the twin is set aside
    by_id = {u.user_id: u for u in fans}
    winners = [by_id[u] for u in order[:2]]
    listed = [by_id[u] for u in order[2:]]
    locale_of = {u.user_id: LOCALES[i // 2] for i, u in enumerate(fans)}
    locale_of[twin.user_id] = "fr"

    await worker.drain(4)
    # A second run of the worker, and a rerun of the draw, send nothing again.
    again = await api.client.post(f"{base}/draw", json={"codes": 2}, headers=org.headers)
    assert again.json()["order"] == order
    await worker.drain(2)

    for w in winners:
        [message] = mail_to(sink, w)
        loc = locale_of[w.user_id]
        subject = i18n.render(loc, "You're in: your access code for {event}", {"event": "x"})
        assert message["Subject"].startswith(subject.split("x")[0].strip())
        code = (await api.client.get(f"{base}/registration", headers=w.headers)).json()["code"]
        assert code in text_of(message)
    for place, user in enumerate(listed, start=1):
        [message] = mail_to(sink, user)
        loc = locale_of[user.user_id]
        assert loc == "en" or i18n.translated(loc, "On the list for {event}")
        assert message["Subject"] == i18n.render(
            loc, "On the list for {event}", {"event": "Summer Night"}
        )
        ahead = place - 1
        assert i18n.plural_translated(loc, AHEAD[0])
        line = i18n.render_plural(loc, AHEAD, ahead, {"ahead": ahead})
        assert line in text_of(message), (loc, line, text_of(message))
    [message] = mail_to(sink, twin)
    assert message["Subject"] == i18n.render(
        "fr", "Not this time: {event}", {"event": "Summer Night"}
    )
    assert "Summer Night" in text_of(message)

    # A refill that reaches the first fan on the list sends it the winner's email, once.
    r = await api.client.post(f"{base}/draw/refill", json={"count": 1}, headers=org.headers)
    assert r.json() == {"voided": 0, "issued": 1}
    await worker.drain(3)
    first = listed[0]
    messages = mail_to(sink, first)
    assert len(messages) == 2
    code = (await api.client.get(f"{base}/registration", headers=first.headers)).json()["code"]
    assert code in text_of(messages[-1])
    assert all(len(mail_to(sink, u)) == 1 for u in listed[1:])


def test_the_plural_forms_of_the_list_in_every_language() -> None:
    """French counts 0 and 1 as one form, German and Spanish only 1: the list's line is
    each language's own form for 0, 1 and 2 fans ahead."""
    expected = {
        ("de", 1): "1 Fan ist auf der Liste vor dir.",
        ("de", 0): "0 Fans sind auf der Liste vor dir.",
        ("es", 1): "1 fan está delante de ti en la lista.",
        ("es", 2): "2 fans están delante de ti en la lista.",
        ("fr", 0): "0 fan est devant vous sur la liste.",
        ("fr", 1): "1 fan est devant vous sur la liste.",
        ("fr", 2): "2 fans sont devant vous sur la liste.",
        ("en", 1): "1 fan is ahead of you on the list.",
    }
    for (loc, n), text in expected.items():
        assert i18n.render_plural(loc, AHEAD, n, {"ahead": n}) == text
