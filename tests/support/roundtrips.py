"""Counts the Redis round trips one request makes, without MONITOR.

Every command, and every pipeline as a whole, leaves redis-py in one
`send_packed_command` call of a connection: one round trip. The wrapper records
only the sends made in the counting context (a ContextVar), so the app's own
background loops (the health probe, the signal flush) are not counted, while
tasks the request starts (the hold batcher's flush) inherit the context and are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pytest
from redis.asyncio.connection import AbstractConnection

_SENT: ContextVar[list[str] | None] = ContextVar("redis_round_trips", default=None)


def _describe(command: bytes | str | Iterable[bytes]) -> str:
    raw = command.encode() if isinstance(command, str) else command
    data = raw if isinstance(raw, bytes) else b"".join(raw)
    # RESP: the command names are the first bulk string of each command.
    words = [w for w in data.split(b"\r\n") if w and not w.startswith((b"*", b"$"))]
    return words[0].decode(errors="replace") if words else "?"


@contextmanager
def round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The round trips (each named by its first command) sent inside the block."""
    original = AbstractConnection.send_packed_command

    async def counted(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        sent = _SENT.get()
        if sent is not None:
            sent.append(_describe(command))
        await original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    sent: list[str] = []
    token = _SENT.set(sent)
    try:
        yield sent
    finally:
        _SENT.reset(token)
        monkeypatch.setattr(AbstractConnection, "send_packed_command", original)
