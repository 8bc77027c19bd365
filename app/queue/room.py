"""The public RoomSnapshot of an event: the same for every fan, so caches can serve the crowd.

A million fans polling every 10 s is 100,000 requests a second; this answer
does not depend on who asks, carries `Cache-Control: public, max-age=1`, and
so nginx (deploy/nginx.conf) or a CDN answers all but about one request per
second per event. A fan's own place comes from the signed receipt its client
keeps (app.queue.receipt); per-fan calls remain for admission.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec
from litestar import Response, get
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import from_epoch_ms, now_ms
from app.core.errors import not_found
from app.phases import room as phase_room

RoomState = Literal["prequeue", "open", "paused", "closed"]
# Every fan may poll this; one second of staleness lets a CDN or proxy absorb them.
CACHE_CONTROL = "public, max-age=1"


class RoomSnapshot(msgspec.Struct):
    """admitted_through counts every admission so far; with a receipt's position and the
    count it was issued at, a client bounds the people still ahead of it."""

    state: RoomState
    admitted_through: int
    admit_rate_per_min: int
    updated_at: datetime


def room_state(
    status: str, onsale_ms: int, offsale_ms: int, seats_left: bool, now: int
) -> RoomState:
    if status == "ended" or now >= offsale_ms or not seats_left:
        return "closed"
    if status == "paused":
        return "paused"
    if now < onsale_ms:
        return "prequeue"
    return "open"


async def snapshot(redis: Redis, event_id: str) -> RoomSnapshot | None:
    """The event's snapshot (one round trip to the event's node), None for no public event."""
    pipe = redis.pipeline(transaction=False)
    pipe.hmget(
        keys.event_meta(event_id), ["status", "onsale_at_ms", "offsale_at_ms", phase_room.FIELD]
    )
    pipe.hgetall(keys.inventory(event_id))
    pipe.hmget(keys.queue_state(event_id), ["admitted", "rate_pm"])
    (status, onsale, offsale, schedule), inventory, (admitted, rate_pm) = await pipe.execute()
    if status is None or status == "draft":
        return None
    # Seats are left while any section has some available or held (a hold may come back).
    seats_left = any(
        int(value) > 0
        for field, value in inventory.items()
        if field.endswith((":available", ":held"))
    )
    now = now_ms()
    # In an event sold in phases the room opens with the phase it runs by.
    phase = phase_room.current(schedule, now)
    opens = phase.opens_ms if phase is not None else int(onsale)
    return RoomSnapshot(
        state=room_state(status, opens, int(offsale), seats_left, now),
        admitted_through=int(admitted or 0),
        admit_rate_per_min=int(float(rate_pm or 0)),
        updated_at=from_epoch_ms(now),
    )


@get(
    "/api/v1/events/{event_id:uuid}/room",
    operation_id="getRoomSnapshot",
    tags=["queue"],
)
async def room(event_id: UUID, redis: Redis) -> Response[RoomSnapshot]:
    found = await snapshot(redis, str(event_id))
    if found is None:
        raise not_found("Event")
    return Response(found, headers={"Cache-Control": CACHE_CONTROL})


ROUTES = [room]
