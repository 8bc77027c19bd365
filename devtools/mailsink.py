"""A local SMTP server (aiosmtpd) that keeps every message it accepts as a .eml file:
`onsale dev` points ONSALE_SMTP_URL at it and `onsale dev mail` shows what it received.

Like a real mail server, it takes responsibility for a message only when it answers the
end of DATA: a client that vanishes before that answer (a worker killed mid-send) leaves
nothing behind, because aiosmtpd cancels the handler of a lost connection.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from devtools.embedded import free_port


@dataclass
class Received:
    path: Path
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message.get("Message-ID", ""))


class _Handler:
    def __init__(
        self, folder: Path, gate: Callable[[Envelope], Awaitable[None]] | None = None
    ) -> None:
        self.folder = folder
        self.gate = gate
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.gate is not None:
            # Cancelled here if the client goes away: the message is then not accepted.
            await self.gate(envelope)
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        with self._lock:
            name = f"{time.time_ns()}-{next(self._seq):05d}.eml"
            (self.folder / name).write_bytes(data)
        return "250 Message accepted for delivery"


class MailSink:
    """An SMTP server on 127.0.0.1 that stores messages in `folder` (one .eml each)."""

    def __init__(
        self,
        folder: Path,
        port: int | None = None,
        gate: Callable[[Envelope], Awaitable[None]] | None = None,
    ) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.handler = _Handler(folder, gate)
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller.start()
        return self.url

    def stop(self) -> None:
        """Stop listening (again: a no-op)."""
        if self._controller._thread is not None:
            self._controller.stop()

    def messages(self) -> list[Received]:
        return read_folder(self.folder)


def read_folder(folder: Path) -> list[Received]:
    """Every message stored in `folder`, oldest first."""
    if not folder.is_dir():
        return []
    out: list[Received] = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        out.append(Received(path, message))
    return out


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def attachments_of(message: EmailMessage) -> list[tuple[str, str, bytes]]:
    """(content type, file name, bytes) of every non-text part: QR images, the .ics."""
    out: list[tuple[str, str, bytes]] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() == "multipart":
            continue
        ctype = part.get_content_type()
        if ctype in ("text/plain", "text/html"):
            continue
        payload = part.get_payload(decode=True)
        out.append(
            (ctype, part.get_filename() or "", payload if isinstance(payload, bytes) else b"")
        )
    return out
