"""Stream tokens: let a browser's EventSource (which cannot send headers) open one fan's stream.

Format ``s1.<payload>.<signature>`` (base64url): the payload is the
msgspec-JSON array [event_id, user_id, expires_at_ms], the signature an
HMAC-SHA256 under a key derived for this purpose only, so a stream token is
good for nothing else (not as an access token, not for another event).
"""

from __future__ import annotations

import binascii
import time

import msgspec

from app.core.security import b64url, b64url_decode, hmac_sign, hmac_verify

_PURPOSE = "queue-stream-token:v1"
# Long enough for EventSource's own reconnects; a page that outlives it reads
# GET /queue (which hands out a fresh one) and reopens the stream.
TTL_S = 900


class StreamGrant(msgspec.Struct, frozen=True, array_like=True):
    event_id: str
    user_id: str
    expires_at_ms: int


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(StreamGrant)


def issue(secret: str, event_id: str, user_id: str, now_ms: int | None = None) -> str:
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    payload = _encoder.encode(StreamGrant(event_id, user_id, now_ms + TTL_S * 1000))
    return "s1." + b64url(payload) + "." + b64url(hmac_sign(secret, _PURPOSE, payload))


def user_of(secret: str, token: str, event_id: str, now_ms: int | None = None) -> str | None:
    """The account a valid, unexpired token for this event names; else None."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != "s1":
        return None
    try:
        payload = b64url_decode(parts[1])
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        return None
    if not hmac_verify(secret, _PURPOSE, payload, signature):
        return None
    try:
        grant = _decoder.decode(payload)
    except msgspec.DecodeError:
        return None
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if grant.event_id != event_id or grant.expires_at_ms <= now_ms:
        return None
    return grant.user_id
