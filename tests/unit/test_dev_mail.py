"""`onsale dev mail`: what the local SMTP sink received, listed and shown."""

from __future__ import annotations

from pathlib import Path

import aiosmtplib
from click.testing import CliRunner

from app.notifications.content import Content, Ticket
from app.notifications.email import build_email
from devtools.cli import dev
from devtools.mailsink import MailSink


async def test_dev_mail_lists_and_shows_what_the_sink_received(tmp_path: Path) -> None:
    sink = MailSink(tmp_path / "mail")
    sink.start()
    try:
        content = Content(
            subject="Ihre Tickets für Test",
            greeting="Hallo,",
            paragraphs=["Danke."],
            short="-",
            tickets=[Ticket(1, "T1.x.y")],
            ticket_label="Ticket {seq}",
            calendar=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            signature="Team",
        )
        msg = build_email(
            content, to="fan@example.com", mail_from="O <o@x.org>", locale="de", delivery_id=3
        )
        for _ in range(2):  # the same message twice: flagged as a duplicate
            await aiosmtplib.send(msg, hostname="127.0.0.1", port=sink.port)
    finally:
        sink.stop()
    runner = CliRunner()
    listed = runner.invoke(dev, ["mail", "--folder", str(tmp_path / "mail")])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert len(lines) == 2
    assert "de" in lines[0]
    assert "fan@example.com" in lines[0]
    assert "Ihre Tickets für Test" in lines[0]
    assert "[2 attachments]" in lines[0]
    assert "duplicate Message-ID" in lines[1]
    shown = runner.invoke(dev, ["mail", "--folder", str(tmp_path / "mail"), "--show", "1"])
    assert shown.exit_code == 0, shown.output
    assert "Message-ID: <delivery-3@x.org>" in shown.output
    assert "Ticket 1: T1.x.y" in shown.output
    assert "[attachment ticket-1.png image/png" in shown.output
    assert "[attachment event.ics text/calendar" in shown.output
    missing = runner.invoke(dev, ["mail", "--folder", str(tmp_path / "mail"), "--show", "9"])
    assert missing.exit_code != 0
