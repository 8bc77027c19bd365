"""Ended sign-in sessions, mirrored from Redis into each API process once a second.

Ending a session (app.auth.sessions.mark_ended) sets the session's own mark and
appends its id to one Redis stream (`keys.sessions_ended_feed`), trimmed to the
access tokens' lifetime. Each API process reads the stream's new entries once a
second, in the background (one round trip per process per second, whatever the
traffic), and keeps the ids in memory as long as a token of theirs could be
unexpired. The authenticated hot paths (POST /holds, queue join, status, stream)
then check a session with a set lookup instead of a Redis read every
REVOCATION_RECHECK_S per session (one hold in five carried that read in
`onsale bench`: 2,000 shoppers, each rechecked every 2 s).

A mirror that has not caught up within STALE_AFTER_S (Redis unreachable, a
process whose poller is not running) is not trusted: callers read the
per-session mark as before, so a stale mirror never lets an ended session in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Iterable

from redis.asyncio import Redis

from app.core import keys

log = logging.getLogger("onsale.auth.revocations")

# How often each process reads the feed, and how old its last complete read may
# be before it is not trusted (sessions.REVOCATION_RECHECK_S: the promise that
# another process refuses an ended session within 2 s).
POLL_S = 1.0
STALE_AFTER_S = 2.0
_BATCH = 1000

# The live mirrors of this process, one per Redis client (tests build several apps).
_MIRRORS: weakref.WeakValueDictionary[int, Revocations] = weakref.WeakValueDictionary()


class Revocations:
    """This process's copy of the sessions ended within the last `keep_s` seconds."""

    def __init__(self, redis: Redis, keep_s: float) -> None:
        self.redis = redis
        self.keep_s = keep_s
        self._ended: dict[str, float] = {}  # session id -> monotonic time to forget it
        self._last_id = "0-0"  # the stream entry read last (the whole stream at first)
        self._synced_at: float | None = None
        self._stopping = asyncio.Event()

    def current(self) -> bool:
        """Whether the copy is recent enough to answer for Redis."""
        synced = self._synced_at
        return synced is not None and time.monotonic() - synced < STALE_AFTER_S

    def has_ended(self, session_id: str) -> bool:
        return session_id in self._ended

    def note(self, session_ids: Iterable[str]) -> None:
        """Sessions this process just ended: refused here at once, before the next read."""
        forget_at = time.monotonic() + self.keep_s
        for session_id in session_ids:
            self._ended[session_id] = forget_at

    async def sync(self) -> None:
        """Read every entry added since the last read (raises on a Redis error)."""
        started = time.monotonic()
        feed = keys.sessions_ended_feed()
        while True:
            reply = await self.redis.xread({feed: self._last_id}, count=_BATCH)
            entries: list[tuple[str, dict[str, str]]] = reply[0][1] if reply else []
            self.note(fields["sid"] for _, fields in entries if "sid" in fields)
            if entries:
                self._last_id = entries[-1][0]
            if len(entries) < _BATCH:
                break
        now = time.monotonic()
        for session_id in [s for s, forget_at in self._ended.items() if forget_at <= now]:
            del self._ended[session_id]
        # The time the read began: whatever was ended before it is in the copy.
        self._synced_at = started

    async def run(self) -> None:
        """Keep the copy current until `stop()` (registered while it runs)."""
        _MIRRORS[id(self.redis)] = self
        failing = False
        try:
            while not self._stopping.is_set():
                try:
                    await self.sync()
                    failing = False
                except Exception:
                    if not failing:  # once per outage, not once a second
                        log.warning("ended-session feed unreadable; checking Redis per session")
                    failing = True
                # A stop flag rather than a task cancellation alone: redis-py can take a
                # cancellation that lands in a read for a connection error (the lifespan
                # then waited for this loop forever).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), POLL_S)
        finally:
            if _MIRRORS.get(id(self.redis)) is self:
                del _MIRRORS[id(self.redis)]

    def stop(self) -> None:
        self._stopping.set()


def mirror_of(redis: Redis) -> Revocations | None:
    """The running mirror of this Redis client in this process, if any."""
    found = _MIRRORS.get(id(redis))
    return found if found is not None and found.redis is redis else None


def note_everywhere(session_ids: list[str]) -> None:
    """Every mirror of this process refuses these sessions from now on."""
    for found in list(_MIRRORS.values()):
        found.note(session_ids)
