"""Typed wrappers of the checkout-side hold scripts (begin, abort, extend, expire, convert).

The scripts own every state change of a hold in checkout; these wrappers
build the keys, pass named arguments and turn return codes into enums.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.scripts import Scripts

# An ended hold's record stays readable this long (>= 24 h by the Redis contract).
RECORD_TTL_MS = 25 * 3600 * 1000


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


_INT_FIELDS = {"quantity", "amount_cents", "created_at_ms", "expires_at_ms", "checkout_deadline_ms"}


async def read_hold(redis: Redis, event_id: str, hold_id: str) -> HoldRecord | None:
    raw: dict[str, str] = await redis.hgetall(keys.hold(event_id, hold_id))  # type: ignore[misc]
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


class Begin(enum.IntEnum):
    BEGAN = 1
    ALREADY = 2
    NOT_FOUND = -1
    NOT_OWNER = -2
    NOT_ACTIVE = -3
    EXPIRED = -4


@dataclass(frozen=True)
class BeginResult:
    code: Begin
    payment_intent_id: str
    order_id: str
    checkout_deadline_ms: int


async def begin_checkout(
    scripts: Scripts,
    event_id: str,
    hold_id: str,
    *,
    user_id: str,
    payment_intent_id: str,
    order_id: str,
    now_ms: int,
) -> BeginResult:
    out = await scripts.run(
        "begin_checkout",
        keys=[
            keys.hold(event_id, hold_id),
            keys.hold_expiry(event_id),
            keys.checkouts(event_id),
            keys.hold_ends(event_id),
        ],
        args=[hold_id, user_id, payment_intent_id, order_id, now_ms],
    )
    return BeginResult(Begin(int(out[0])), str(out[1]), str(out[2]), int(out[3]))


async def abort_checkout(
    scripts: Scripts, event_id: str, hold_id: str, payment_intent_id: str
) -> bool:
    out = await scripts.run(
        "abort_checkout",
        keys=[keys.hold(event_id, hold_id), keys.hold_expiry(event_id), keys.checkouts(event_id)],
        args=[hold_id, payment_intent_id],
    )
    return int(out) == 1


async def extend_checkout(
    scripts: Scripts, event_id: str, hold_id: str, payment_intent_id: str, deadline_ms: int
) -> bool:
    out = await scripts.run(
        "extend_checkout",
        keys=[keys.hold(event_id, hold_id), keys.checkouts(event_id)],
        args=[hold_id, payment_intent_id, deadline_ms],
    )
    return int(out) == 1


async def expire_checkout(
    scripts: Scripts, event_id: str, hold_id: str, payment_intent_id: str, now_ms: int
) -> bool:
    out = await scripts.run(
        "expire_checkout",
        keys=[
            keys.hold(event_id, hold_id),
            keys.inventory(event_id),
            keys.user_seats(event_id),
            keys.checkouts(event_id),
            keys.hold_expiry(event_id),
            keys.hold_ends(event_id),
        ],
        args=[hold_id, payment_intent_id, now_ms, RECORD_TTL_MS],
    )
    return int(out) == 1


class Convert(enum.IntEnum):
    CONVERTED = 1
    ALREADY = 2
    RETAKEN = 3
    NO_SEATS = -1
    OTHER_PAYMENT = -2
    OVER_LIMIT = -3


async def convert_hold(
    scripts: Scripts,
    event_id: str,
    hold_id: str,
    *,
    payment_intent_id: str,
    order_id: str,
    user_id: str,
    section: str,
    quantity: int,
    now_ms: int,
) -> Convert:
    out = await scripts.run(
        "convert_hold",
        keys=[
            keys.hold(event_id, hold_id),
            keys.inventory(event_id),
            keys.user_seats(event_id),
            keys.hold_expiry(event_id),
            keys.checkouts(event_id),
            keys.hold_ends(event_id),
            keys.event_meta(event_id),
        ],
        args=[
            hold_id,
            payment_intent_id,
            order_id,
            user_id,
            section,
            quantity,
            now_ms,
            RECORD_TTL_MS,
            event_id,
        ],
    )
    return Convert(int(out))


async def return_seats(
    scripts: Scripts, event_id: str, *, order_id: str, section: str, quantity: int, user_id: str
) -> int:
    out = await scripts.run(
        "return_seats",
        keys=[keys.inventory(event_id), keys.user_seats(event_id), keys.returned_orders(event_id)],
        args=[order_id, section, quantity, user_id],
    )
    return int(out)
