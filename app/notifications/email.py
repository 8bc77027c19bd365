"""Email: a Content as a MIME message (text, HTML with the tickets' QR codes inline, the
.ics and the receipt PDF attached) and its sending to ONSALE_SMTP_URL with aiosmtplib.

The Message-ID is derived from the delivery id, so a message sent again after a worker
died mid-send is the same message to every receiver that deduplicates on it.
"""

from __future__ import annotations

import html
import io
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
import segno

from app.core.rules import one_line
from app.notifications.content import Content


def message_id(delivery_id: int, mail_from: str) -> str:
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "onsale.local"
    return f"<delivery-{delivery_id}@{domain}>"


def qr_png(code: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


def build_email(
    content: Content, *, to: str, mail_from: str, locale: str, delivery_id: int
) -> EmailMessage:
    msg = EmailMessage()
    # Header values on one line, then the email library's own encoding (RFC 2047 encoded
    # words for non-ASCII): a stored name with CR/LF can neither add a header nor make every
    # message about its event fail to build.
    msg["Subject"] = one_line(content.subject)
    msg["From"] = one_line(mail_from)
    msg["To"] = one_line(to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(delivery_id, mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Onsale-Delivery"] = str(delivery_id)

    text = [content.greeting, "", *(p + "\n" for p in content.paragraphs)]
    if content.link:
        text += [f"{content.link_label}:", content.link, ""]
    for ticket in content.tickets:
        text.append(f"{content.ticket_label.format(seq=ticket.seq)}: {ticket.code}")
    text += ["", content.signature]
    msg.set_content("\n".join(text))

    body = [f"<p>{html.escape(content.greeting)}</p>"]
    body += [f"<p>{html.escape(p)}</p>" for p in content.paragraphs]
    if content.link:
        href = html.escape(content.link, quote=True)
        body.append(f'<p><a href="{href}">{html.escape(content.link_label)}</a><br>{href}</p>')
    for ticket in content.tickets:
        label = html.escape(content.ticket_label.format(seq=ticket.seq))
        body.append(
            f'<figure><img src="cid:ticket-{ticket.seq}@onsale" alt="{label}" width="240">'
            f"<figcaption>{label}<br><code>{html.escape(ticket.code)}</code></figcaption>"
            "</figure>"
        )
    body.append(f"<p>{html.escape(content.signature)}</p>")
    page = (
        f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8">'
        f"<title>{html.escape(content.subject)}</title></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )
    msg.add_alternative(page, subtype="html")
    if content.tickets:
        html_part = msg.get_payload()[1]  # type: ignore[index]
        assert isinstance(html_part, EmailMessage)
        for ticket in content.tickets:
            html_part.add_related(
                qr_png(ticket.code),
                maintype="image",
                subtype="png",
                cid=f"<ticket-{ticket.seq}@onsale>",
                filename=f"ticket-{ticket.seq}.png",
            )
    if content.calendar is not None:
        msg.add_attachment(
            content.calendar,
            maintype="text",
            subtype="calendar",
            filename="event.ics",
            params={"method": "PUBLISH"},
        )
    if content.receipt is not None:
        msg.add_attachment(
            content.receipt, maintype="application", subtype="pdf", filename="receipt.pdf"
        )
    # Last: making the message multipart moves every Content-* header into the first part.
    msg["Content-Language"] = locale
    return msg


class SmtpTarget:
    """Where ONSALE_SMTP_URL points: smtp://[user:pass@]host[:port][?starttls=1] or smtps://."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"ONSALE_SMTP_URL must be smtp:// or smtps://, not {url!r}")
        self.hostname = parts.hostname or "127.0.0.1"
        self.use_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.use_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        query = parse_qs(parts.query)
        self.start_tls = query.get("starttls", ["0"])[0] in ("1", "true", "yes")


async def send_email(target: SmtpTarget, msg: EmailMessage, timeout_s: float) -> None:
    await aiosmtplib.send(
        msg,
        hostname=target.hostname,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.use_tls,
        start_tls=target.start_tls,
        timeout=timeout_s,
    )
