"""Discount codes: create, list with their uses, disable; free of HTTP.

The record (Postgres) keeps each code's rule; the event's discount codes hash in
Redis carries the rule too, plus the uses, which only the hold scripts move: a
hold takes a use in the same script call that takes its seats, and gives it back
when it ends without a sale (lua/_discounts.lua). So a code of N uses is used at
most N times under any concurrency, and the hot path reads nothing more.
"""

from __future__ import annotations

import asyncpg
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import utcnow
from app.core.errors import AppError, invalid, not_found
from app.core.i18n import N_
from app.core.ids import canonical_uuid, new_id
from app.core.security import Principal
from app.discounts import repo
from app.discounts.model import DiscountRecord
from app.discounts.schemas import Discount, DiscountIn
from app.events import service as events


def _code_taken(code: str) -> AppError:
    return AppError(
        "code_taken",
        409,
        "Code exists",
        N_("This event already has the discount code {code}"),
        params={"code": code},
    )


def present(d: DiscountRecord, used: int) -> Discount:
    return Discount(
        discount_id=d.discount_id,
        code=d.code,
        max_uses=d.max_uses,
        used=used,
        disabled=d.disabled,
        percent_off=d.percent_off,
        amount_off_cents=d.amount_off_cents,
        section=d.section,
        phase_id=d.phase_id,
        created_at=d.created_at,
    )


async def _publish(redis: Redis, d: DiscountRecord) -> None:
    """The code's rule in the event's hash; its uses start at 0 and are never overwritten."""
    pipe = redis.pipeline(transaction=True)
    pipe.hset(keys.discounts(d.event_id), mapping=d.rule_fields())
    pipe.hsetnx(keys.discounts(d.event_id), d.code + ":used", "0")
    await pipe.execute()


async def create(
    pool: asyncpg.Pool, redis: Redis, principal: Principal, event_id: str, data: DiscountIn
) -> Discount:
    if (data.percent_off is None) == (data.amount_off_cents is None):
        raise invalid("percent_off", "give percent_off or amount_off_cents: exactly one")
    code = data.code.upper()
    phase_id = None
    if data.phase_id is not None:
        phase_id = canonical_uuid(data.phase_id)
        if phase_id is None:
            raise invalid("phase_id", "not a phase id")
    async with pool.acquire() as conn, conn.transaction():
        event = await events.get_managed_event(conn, principal, event_id)
        if data.section is not None and data.section not in {s.code for s in event.sections}:
            raise invalid("section", f"no section {data.section!r} in this event")
        if phase_id is not None and not await repo.phase_of_event(conn, event.event_id, phase_id):
            raise invalid("phase_id", "no such phase in this event")
        record = await repo.insert(
            conn,
            DiscountRecord(
                discount_id=new_id(),
                event_id=event.event_id,
                code=code,
                percent_off=data.percent_off,
                amount_off_cents=data.amount_off_cents,
                max_uses=data.max_uses,
                section=data.section,
                phase_id=phase_id,
                disabled=False,
                created_at=utcnow(),
            ),
        )
        if record is None:
            raise _code_taken(code)
        # Published before the commit: a code the hold script knows but the record lost
        # would be a use nobody can see; the other way round only delays the code.
        await _publish(redis, record)
    return present(record, 0)


async def _uses(redis: Redis, event_id: str, codes: list[str]) -> list[int]:
    if not codes:
        return []
    values: list[str | None] = await redis.hmget(  # type: ignore[misc]
        keys.discounts(event_id), [c + ":used" for c in codes]
    )
    return [int(v or 0) for v in values]


async def list_codes(
    pool: asyncpg.Pool, redis: Redis, principal: Principal, event_id: str
) -> list[Discount]:
    event = await events.get_managed_event(pool, principal, event_id, need="read")
    records = await repo.of_event(pool, event.event_id)
    used = await _uses(redis, event.event_id, [d.code for d in records])
    return [present(d, n) for d, n in zip(records, used, strict=True)]


async def disable(
    pool: asyncpg.Pool, redis: Redis, principal: Principal, event_id: str, discount_id: str
) -> Discount:
    """The code takes no new use; holds that have one keep it (and their price)."""
    event = await events.get_managed_event(pool, principal, event_id)
    record = await repo.disable(pool, event.event_id, discount_id)
    if record is None:
        raise not_found("Discount code")
    await redis.hset(keys.discounts(event.event_id), record.code + ":off", "1")  # type: ignore[misc]
    (used,) = await _uses(redis, event.event_id, [record.code])
    return present(record, used)


async def mirror(pool: asyncpg.Pool, redis: Redis, event_id: str) -> None:
    """Every code's rule back in Redis (after the hash was lost); uses already there stay."""
    for record in await repo.of_event(pool, event_id):
        await _publish(redis, record)
