"""Pure parts of notifications: signatures, the calendar file, backoff, the email's shape."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

from app.notifications import signing
from app.notifications.calendar import event_ics
from app.notifications.content import Content, Ticket
from app.notifications.email import SmtpTarget, build_email, message_id
from app.notifications.sender import MAX_BACKOFF_S, backoff_s


def test_signature_verifies_and_refuses_tampering_and_replays() -> None:
    body = b'{"a":1}'
    header = signing.sign("s3cret", body, timestamp=1_000_000)
    assert signing.verify("s3cret", body, header, now=1_000_010)
    assert not signing.verify("s3cret", b'{"a":2}', header, now=1_000_010)
    assert not signing.verify("other", body, header, now=1_000_010)
    assert not signing.verify("s3cret", body, header, now=1_000_000 + signing.TOLERANCE_S + 1)
    assert not signing.verify("s3cret", body, "garbage")


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    for attempts, base in ((1, 5.0), (2, 10.0), (4, 40.0)):
        assert 0.8 * base <= backoff_s(5.0, attempts) <= 1.2 * base
    assert backoff_s(5.0, 40) <= 1.2 * MAX_BACKOFF_S


def test_calendar_file_is_rfc5545_shaped() -> None:
    ics = event_ics(
        uid="order-1@onsale",
        name="Concert; with, commas",
        venue="Hall",
        starts_at=datetime(2026, 12, 1, 19, 0, tzinfo=UTC),
        description="x" * 200,
    ).decode()
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert "DTSTART:20261201T190000Z" in lines
    assert "SUMMARY:Concert\\; with\\, commas" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    assert ics.endswith("END:VCALENDAR\r\n")


def test_email_has_text_html_inline_qr_and_ics() -> None:
    content = Content(
        subject="S",
        greeting="Hi",
        paragraphs=["P"],
        short="s",
        tickets=[Ticket(1, "T1.a.b"), Ticket(2, "T1.c.d")],
        ticket_label="Ticket {seq}",
        calendar=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        signature="Team",
    )
    msg = build_email(content, to="a@b.c", mail_from="Onsale <t@x.org>", locale="fr", delivery_id=7)
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == message_id(7, "Onsale <t@x.org>") == "<delivery-7@x.org>"
    assert parsed["Content-Language"] == "fr"
    types = [p.get_content_type() for p in parsed.walk()]
    assert types.count("image/png") == 2
    assert "text/calendar" in types
    assert "text/plain" in types
    assert "text/html" in types
    assert "Ticket 2: T1.c.d" in parsed.get_body(("plain",)).get_content()


def test_smtp_url_forms() -> None:
    plain = SmtpTarget("smtp://127.0.0.1:2525")
    assert (plain.hostname, plain.port, plain.use_tls, plain.start_tls) == (
        "127.0.0.1",
        2525,
        False,
        False,
    )
    tls = SmtpTarget("smtps://u%40x:p%3Aw@mail.example.org")
    assert (tls.port, tls.use_tls, tls.username, tls.password) == (465, True, "u@x", "p:w")
    assert SmtpTarget("smtp://m.example.org?starttls=1").start_tls
