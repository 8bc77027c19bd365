"""Stream tokens: let a browser's EventSource (which cannot send headers) open one fan's stream.

A signed code (app.core.signed) of [event_id, user_id, session_id, expires_at_ms]
under a purpose of its own, so a stream token is good for nothing else: not as an
access token, not as an admission token, not for another event's stream. It names
the sign-in session it was issued to, and the stream checks that session is still
open (the same cached check as an access token's), so it ends with a logout.
"""

from __future__ import annotations

import msgspec

from app.core.clock import now_ms as clock_ms
from app.core.signed import BadCode, SignedCodec

# Long enough for EventSource's own reconnects; a page that outlives it reads
# GET /queue (which hands out a fresh one) and reopens the stream.
TTL_S = 900


class StreamGrant(msgspec.Struct, frozen=True, array_like=True):
    event_id: str
    user_id: str
    session_id: str
    expires_at_ms: int


CODEC = SignedCodec(StreamGrant, version="s2", purpose="queue-stream-token:v2")


def issue(
    secret: str, event_id: str, user_id: str, session_id: str, now_ms: int | None = None
) -> str:
    now_ms = clock_ms() if now_ms is None else now_ms
    return CODEC.sign(secret, StreamGrant(event_id, user_id, session_id, now_ms + TTL_S * 1000))


def grant_of(
    secret: str, token: str, event_id: str, now_ms: int | None = None
) -> StreamGrant | None:
    """The grant of a valid, unexpired token for this event; else None (the caller still
    checks that its session is open)."""
    try:
        grant = CODEC.verify(secret, token)
    except BadCode:
        return None
    now_ms = clock_ms() if now_ms is None else now_ms
    if grant.event_id != event_id or grant.expires_at_ms <= now_ms:
        return None
    return grant
