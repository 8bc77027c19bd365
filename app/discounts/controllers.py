"""HTTP endpoints of discount codes (organizer)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, get, post
from redis.asyncio import Redis

from app.audit import service as audit
from app.core.clientip import audit_origin
from app.core.security import Principal
from app.discounts import service
from app.discounts.schemas import Discount, DiscountIn, DiscountList

BASE = "/api/v1/events/{event_id:uuid}/discounts"


@post(BASE, operation_id="createDiscount", tags=["discounts"], status_code=201)
async def create_discount(
    event_id: UUID,
    data: DiscountIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
) -> Discount:
    """A discount code; 409 `code_taken` when the event has it already."""
    discount = await service.create(pool, redis, principal, str(event_id), data)
    await audit.record_event(
        pool,
        principal,
        "discount.create",
        str(event_id),
        client_ip=audit_origin(request),
        detail={"discount_id": discount.discount_id, "code": discount.code},
    )
    return discount


@get(BASE, operation_id="listDiscounts", tags=["discounts"])
async def list_discounts(
    event_id: UUID, principal: Principal, pool: asyncpg.Pool, redis: Redis
) -> DiscountList:
    """The event's codes with their uses so far (live: holds and sales)."""
    return DiscountList(items=await service.list_codes(pool, redis, principal, str(event_id)))


@post(
    BASE + "/{discount_id:uuid}/disable",
    operation_id="disableDiscount",
    tags=["discounts"],
    status_code=200,
)
async def disable_discount(
    event_id: UUID,
    discount_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
) -> Discount:
    """The code takes no new use; holds that have one keep their price."""
    discount = await service.disable(pool, redis, principal, str(event_id), str(discount_id))
    await audit.record_event(
        pool,
        principal,
        "discount.disable",
        str(event_id),
        client_ip=audit_origin(request),
        detail={"discount_id": discount.discount_id, "code": discount.code},
    )
    return discount


ROUTES = [create_discount, list_discounts, disable_discount]
