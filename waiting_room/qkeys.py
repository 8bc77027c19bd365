"""The waiting room's Redis keys of one event, all built through app.core.keys.

Every key shares the event's hash tag, so one Lua script may touch them all.
Per-fan data is kept minimal (goal: <= 200 bytes per queued fan at 1M):
one zset entry with a 22-character member, plus one bit per poll window.
"""

from __future__ import annotations

import base64
import uuid

from app.core import keys

# Presence ("seen") bitmaps are bucketed in windows of this many seconds.
SEEN_WINDOW_S = 20
# A fan told to poll within SHORT_POLL_MAX_S must have polled in the last 60 s
# when reached; one told to poll later gets 3 x 60 s (the max poll interval).
SHORT_POLL_MAX_S = 20
SHORT_NOSHOW_S = 60
LONG_NOSHOW_S = 180


def line(event_id: str) -> str:
    """Zset: member -> order * 2^26 + arrival seq (ZRANK = position - 1)."""
    return keys.queue(event_id, "line")


def state(event_id: str) -> str:
    """Hash: seq, boundary, opened, next_at, admitted, rate_pm, last_tick_ms."""
    return keys.queue(event_id, "state")


def sessions(event_id: str) -> str:
    """Hash: member -> '<session_id>:<expires_ms>' of admitted fans."""
    return keys.queue(event_id, "sess")


def skipped(event_id: str) -> str:
    """Zset: member -> skip time (ms) of no-shows, kept for the grace period and after."""
    return keys.queue(event_id, "skip")


def comeback(event_id: str) -> str:
    """Zset: member -> original score of skipped fans who returned in grace (admitted first)."""
    return keys.queue(event_id, "back")


def ticks(event_id: str) -> str:
    """List: '<tick_ms>:<admitted>' of the latest admission ticks (measured rate)."""
    return keys.queue(event_id, "ticks")


def seen(event_id: str, window: int) -> str:
    """Bitmap: bit <arrival seq> set when the fan polled during this window."""
    return keys.queue(event_id, f"seen:{window}")


def seen_long(event_id: str, window: int) -> str:
    """Bitmap: like `seen`, for polls told to come back after > SHORT_POLL_MAX_S."""
    return keys.queue(event_id, f"seenl:{window}")


def shuffle_lock(event_id: str) -> str:
    return keys.queue(event_id, "shufflelock")


def window_of(now_ms: int) -> int:
    return now_ms // (SEEN_WINDOW_S * 1000)


def presence_keys(event_id: str, now_ms: int) -> tuple[list[str], list[str]]:
    """The short and long seen bitmaps covering the no-show thresholds before now."""
    w = window_of(now_ms)
    n_short = SHORT_NOSHOW_S // SEEN_WINDOW_S + 1
    n_long = LONG_NOSHOW_S // SEEN_WINDOW_S + 1
    return (
        [seen(event_id, w - i) for i in range(n_short)],
        [seen_long(event_id, w - i) for i in range(n_long)],
    )


def member_of(user_id: str) -> str:
    """A user's compact queue member: the UUID's 16 bytes in base64url (22 chars)."""
    try:
        raw = uuid.UUID(user_id).bytes
    except ValueError:
        return "~" + user_id
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def user_of(member: str) -> str:
    if member.startswith("~"):
        return member[1:]
    return str(uuid.UUID(bytes=base64.urlsafe_b64decode(member + "==")))
