"""Messages that no transaction writes: "it's your turn" (from the admission script's turns
stream), the nudge before a hold expires, and the reminder before an event.

Each is put into the outbox under a dedup key and only then is the Redis cursor moved:
a producer that dies in between repeats inserts that the outbox ignores, never loses one.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from redis.asyncio import Redis

from app.core import keys
from app.holds.record import read_hold
from app.notifications import kinds, repo
from waiting_room.members import user_of

TURNS_BATCH = 1000


async def your_turn(redis: Redis, pool: asyncpg.Pool, event_id: str) -> int:
    """Outbox rows for the fans admitted since the last call; how many."""
    cursor_key = keys.turns_cursor(event_id)
    cursor = await redis.get(cursor_key) or "0-0"
    total = 0
    while True:
        entries = await redis.xrange(
            keys.queue_turns(event_id), min=f"({cursor}", max="+", count=TURNS_BATCH
        )
        if not entries:
            return total
        rows: list[tuple[str, str, dict[str, Any]]] = []
        for _, fields in entries:
            rows.append(
                (
                    kinds.YOUR_TURN,
                    f"your_turn:{event_id}:{fields['sid']}",
                    {
                        "event_id": event_id,
                        "user_id": user_of(fields["m"]),
                        "expires_ms": int(fields["exp"]),
                    },
                )
            )
        await repo.insert_messages(pool, rows)
        cursor = entries[-1][0]
        await redis.set(cursor_key, cursor)
        total += len(rows)


async def hold_nudges(
    redis: Redis, pool: asyncpg.Pool, event_id: str, now_ms: int, before_s: int
) -> int:
    """Outbox rows for active holds that now expire within `before_s` (each hold once).

    The window moves forward from where the last call ended, so a hold is looked at
    once; one shorter-lived than `before_s` (hold_ttl_s < ONSALE_NOTIFY_NUDGE_S) starts
    inside an already covered window and is not nudged: its fan has just chosen it.
    """
    upto_key = keys.nudge_cursor(event_id)
    low = int(await redis.get(upto_key) or now_ms)
    high = now_ms + before_s * 1000
    if high <= low:
        return 0
    ids: list[str] = await redis.zrangebyscore(keys.hold_expiry(event_id), f"({low}", high)
    rows: list[tuple[str, str, dict[str, Any]]] = []
    for hold_id in ids:
        hold = await read_hold(redis, event_id, hold_id)
        if hold is None or hold.status != "active" or hold.expires_at_ms <= now_ms:
            continue
        rows.append(
            (
                kinds.HOLD_NUDGE,
                f"hold_nudge:{hold_id}",
                {
                    "event_id": event_id,
                    "user_id": hold.user_id,
                    "hold_id": hold_id,
                    "section": hold.section,
                    "quantity": hold.quantity,
                    "expires_ms": hold.expires_at_ms,
                },
            )
        )
    await repo.insert_messages(pool, rows)
    # Kept a day: long past any hold's expiry, short enough to leave no litter.
    await redis.set(upto_key, high, ex=86_400)
    return len(rows)


async def reminders(pool: asyncpg.Pool, within_s: int) -> int:
    """Outbox rows for confirmed orders of events starting within `within_s`; how many new."""
    return await repo.insert_reminders(pool, within_s)
