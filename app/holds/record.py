"""The hold record in Redis (the hash the hold scripts write), read as a typed struct."""

from __future__ import annotations

from typing import Any

import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.scripts import Scripts


class HoldRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The Redis hold hash (fields of the shared contract)."""

    hold_id: str
    event_id: str
    user_id: str
    section: str
    quantity: int
    amount_cents: int
    currency: str
    status: str
    created_at_ms: int = 0
    expires_at_ms: int = 0
    payment_intent_id: str = ""
    order_id: str = ""
    checkout_deadline_ms: int = 0
    session_id: str = ""  # the admission session that made the hold
    seats: str = ""  # a seated hold's seat ids, comma-separated
    lines: str = ""  # its lines by ticket type, 'TYPE:q:amount,...' (lua/_types.lua)
    discount_cents: int = 0  # what its discount code took off amount_cents


_INT_FIELDS = {
    "quantity",
    "amount_cents",
    "discount_cents",
    "created_at_ms",
    "expires_at_ms",
    "checkout_deadline_ms",
}


def parse_record(raw: dict[str, str], event_id: str, hold_id: str) -> HoldRecord | None:
    if not raw or "status" not in raw:
        return None
    values: dict[str, Any] = {}
    for name in HoldRecord.__struct_fields__:
        if name in raw:
            values[name] = int(float(raw[name])) if name in _INT_FIELDS else raw[name]
    values.setdefault("hold_id", hold_id)
    values.setdefault("event_id", event_id)
    try:
        return HoldRecord(**values)
    except TypeError:
        return None


async def read_hold(redis: Redis, event_id: str, hold_id: str) -> HoldRecord | None:
    raw: dict[str, str] = await redis.hgetall(keys.hold(event_id, hold_id))  # type: ignore[misc]
    return parse_record(raw, event_id, hold_id)


async def read_hold_batched(scripts: Scripts, event_id: str, hold_id: str) -> HoldRecord | None:
    """`read_hold`, sharing a pipeline round trip with the concurrent script calls and
    commands of the process (the finalize jobs of a worker)."""
    raw = await scripts.command_batched("HGETALL", keys.hold(event_id, hold_id))
    if isinstance(raw, list):  # RESP2: field, value, field, value ...
        raw = dict(zip(raw[::2], raw[1::2], strict=True))
    return parse_record(_text(raw), event_id, hold_id)


def _text(raw: dict[Any, Any]) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in raw.items()
    }
