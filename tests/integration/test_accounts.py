"""Accounts that recover and prove their address (real Postgres, Redis, SMTP, localstripe):
password reset by an emailed, single-use, short-lived link with the same answer for unknown
addresses; "account exists" told to the owner only; email verification, and the organizer's
switch that asks for it before a purchase."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest

from app.auth import links
from app.core.settings import Settings
from devtools.mailsink import MailSink, text_of
from tests.support import checkout as h
from tests.support.api import PASSWORD, Api, User, assert_problem
from tests.support.notify import Worker

NEW_PASSWORD = "a brand new passphrase 42"
LINK = re.compile(r"(https?://\S+/(?:reset|verify)\?token=\S+)")


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    server = MailSink(tmp_path / "mail")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(settings: Settings, stripe_base: str, sink: MailSink) -> Settings:
    return msgspec.structs.replace(
        h.with_stripe(settings, stripe_base),
        smtp_url=sink.url,
        notify_backoff_s=0.05,
        public_url="https://tickets.example.org",
    )


@pytest.fixture
async def worker(resources: Any) -> AsyncIterator[Worker]:
    w = Worker(resources)
    yield w
    await w.close()


def mail_to(sink: MailSink, email: str) -> list[Any]:
    return [m.message for m in sink.messages() if m.message["To"] == email]


def token_of(message: Any, path: str) -> str:
    found = LINK.findall(text_of(message))
    assert len(found) == 1, text_of(message)
    url = urlsplit(found[0])
    assert (url.scheme, url.netloc, url.path) == ("https", "tickets.example.org", path)
    return parse_qs(url.query)["token"][0]


async def outbox_kinds(api: Api, resources: Any) -> list[str]:
    rows = await resources.pool.fetch("SELECT kind FROM outbox ORDER BY message_id")
    return [r["kind"] for r in rows]


async def test_password_reset_by_a_single_use_link_ends_every_session(
    api: Api, settings: Settings, resources: Any, worker: Worker, sink: MailSink
) -> None:
    fan = await api.user("fan")
    r = await api.client.post("/api/v1/auth/login", json={"email": fan.email, "password": PASSWORD})
    other_session = r.json()["refresh_token"]
    await worker.drain(3)
    before = len(sink.messages())

    # Unknown and known addresses get the same answer; only the account's owner gets mail.
    unknown = await api.client.post(
        "/api/v1/auth/password-reset", json={"email": "nobody-here@example.com"}
    )
    known = await api.client.post("/api/v1/auth/password-reset", json={"email": fan.email})
    assert (unknown.status_code, known.status_code) == (202, 202)
    assert unknown.content == known.content
    await worker.drain(3)
    assert len(sink.messages()) == before + 1
    [message] = [m for m in mail_to(sink, fan.email) if "password" in m["Subject"].lower()]
    assert message["Subject"] == "Reset your Onsale password"
    token = token_of(message, "/reset")

    # The password policy holds on this form too.
    r = await api.client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "short"}
    )
    assert r.status_code == 422, r.text
    # A forged or altered link does nothing.
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert_problem(
        await api.client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": forged, "password": NEW_PASSWORD}
        ),
        400,
        "link_invalid",
    )
    r = await api.client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert r.status_code == 204, r.text

    # Single use: the same link again is refused, and the new password stays.
    assert_problem(
        await api.client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": token, "password": "yet another passphrase 7"},
        ),
        400,
        "link_invalid",
    )
    # Every session of the account ended; the old password no longer signs in.
    r = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": other_session})
    assert r.status_code == 401, r.text
    r = await api.client.get("/api/v1/me", headers=fan.headers)
    assert r.status_code == 401, r.text
    r = await api.client.post("/api/v1/auth/login", json={"email": fan.email, "password": PASSWORD})
    assert r.status_code == 401
    r = await api.client.post(
        "/api/v1/auth/login", json={"email": fan.email, "password": NEW_PASSWORD}
    )
    assert r.status_code == 200, r.text
    # Opening a link sent to the address proved it.
    me = await api.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.json()["email_verified"] is True


async def test_a_reset_link_lives_thirty_minutes(api: Api, settings: Settings) -> None:
    fan = await api.user("fan")
    row = await api.client.get("/api/v1/me", headers=fan.headers)
    user_id = row.json()["user_id"]
    import asyncpg

    conn = await asyncpg.connect(settings.database_url)
    try:
        stored = await conn.fetchval(
            "SELECT password_hash FROM users WHERE user_id = $1::uuid", user_id
        )
    finally:
        await conn.close()
    old = links.reset_token(settings.secret_key, user_id, stored, now=time.time() - 31 * 60)
    fresh = links.reset_token(settings.secret_key, user_id, stored, now=time.time() - 29 * 60)
    assert_problem(
        await api.client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": old, "password": NEW_PASSWORD}
        ),
        400,
        "link_invalid",
    )
    r = await api.client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": fresh, "password": NEW_PASSWORD}
    )
    assert r.status_code == 204, r.text


async def test_registering_a_taken_address_tells_the_owner_and_nobody_else(
    api: Api, settings: Settings, resources: Any, worker: Worker, sink: MailSink
) -> None:
    owner = await api.user("fan")
    r = await api.client.post(
        "/api/v1/auth/register", json={"email": owner.email, "password": "someone else's pass 9"}
    )
    assert r.status_code == 201, r.text
    assert (
        r.json()["user_id"]
        != (await api.client.get("/api/v1/me", headers=owner.headers)).json()["user_id"]
    )
    await worker.drain(3)
    subjects = [m["Subject"] for m in mail_to(sink, owner.email)]
    assert "You already have an Onsale account" in subjects
    exists = next(m for m in mail_to(sink, owner.email) if m["Subject"].startswith("You already"))
    token_of(exists, "/reset")  # with the way to a new password


async def test_verification_link_and_the_organizer_switch_before_a_purchase(
    api: Api, settings: Settings, resources: Any, worker: Worker, sink: MailSink
) -> None:
    org = await api.user("organizer")
    strict = await api.event(org, name="Verified Only", require_verified_email=True)
    assert strict["require_verified_email"] is True
    open_event = await api.event(org, name="Anyone")
    assert open_event["require_verified_email"] is False

    # Registered without a language: the profile follows the phone's until one is chosen.
    user_id, email = await api.register("fan")
    fan = User(user_id, email, PASSWORD, await api.login(email, PASSWORD))
    me = (await api.client.get("/api/v1/me", headers=fan.headers)).json()
    assert (me["email_verified"], me["locale_chosen"]) == (False, False)

    # Unverified: a sale that asks for it refuses the payment (the seats stay held) ...
    r = await h.hold(api.client, strict["event_id"], fan, 1)
    assert r.status_code == 201, r.text
    strict_hold = r.json()["hold_id"]
    assert_problem(await h.checkout(api.client, fan, strict_hold), 403, "email_unverified")
    assert_problem(await h.checkout(api.client, fan, strict_hold), 403, "email_unverified")
    # ... a sale that does not, takes it.
    r = await h.hold(api.client, open_event["event_id"], fan, 1)
    assert (await h.checkout(api.client, fan, r.json()["hold_id"])).status_code == 201

    # The refusal sent a link to the address; it verifies it (on any device: no sign-in).
    await worker.drain(3)
    [message] = [m for m in mail_to(sink, email) if m["Subject"].startswith("Confirm")]
    token = token_of(message, "/verify")
    assert_problem(
        await api.client.post("/api/v1/auth/verify-email", json={"token": token[:-3] + "xyz"}),
        400,
        "link_invalid",
    )
    r = await api.client.post("/api/v1/auth/verify-email", json={"token": token})
    assert r.status_code == 204, r.text
    me = (await api.client.get("/api/v1/me", headers=fan.headers)).json()
    assert me["email_verified"] is True
    r = await h.checkout(api.client, fan, strict_hold)
    assert r.status_code == 201, r.text

    # Asking again once verified sends nothing more.
    r = await api.client.post("/api/v1/me/verify-email", headers=fan.headers)
    assert r.status_code == 202
    # Only the fan who met a sale that needs it got a link (once, however often refused).
    assert (await outbox_kinds(api, resources)).count("email_verify") == 1

    # A language picked later is remembered as chosen.
    r = await api.client.patch("/api/v1/me", json={"locale": "de"}, headers=fan.headers)
    assert r.json()["locale_chosen"] is True
