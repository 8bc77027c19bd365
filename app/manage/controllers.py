"""HTTP endpoints behind the organizer console: live sale, order search, users."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Request, delete, get
from litestar.params import Parameter
from redis.asyncio import Redis

from app.audit import service as audit
from app.core.clientip import audit_origin
from app.core.security import Principal
from app.core.settings import Settings
from app.manage import service
from app.manage.schemas import LiveSale, OrderHits, RoleName, UserList

Query = Annotated[str, Parameter(max_length=254)]
Cursor = Annotated[
    str | None, Parameter(max_length=64, description="`next_cursor` of the previous page")
]


@get(
    "/api/v1/events/{event_id:uuid}/live",
    operation_id="getLiveSale",
    tags=["events"],
    description="Stats plus orders per minute, payment failures and hold outcomes; "
    "the console polls it every 2 s.",
)
async def live_sale(
    event_id: UUID, principal: Principal, pool: asyncpg.Pool, redis: Redis
) -> LiveSale:
    return await service.live_sale(pool, redis, principal, str(event_id))


@get(
    "/api/v1/manage/orders",
    operation_id="searchOrders",
    tags=["orders"],
    description="Orders of the caller's events (admins: all) by order id or part of the "
    "buyer's email; newest first, `limit` a page (default 100), the next page from "
    "`next_cursor`.",
)
async def search_orders(
    principal: Principal,
    pool: asyncpg.Pool,
    q: Query = "",
    event_id: Annotated[str | None, Parameter(max_length=64)] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
) -> OrderHits:
    return await service.search_orders(pool, principal, q, event_id, cursor=cursor, limit=limit)


@get(
    "/api/v1/admin/users",
    operation_id="listUsers",
    tags=["admin"],
    description="Accounts, newest first, by part of the email and role; `limit` a page "
    "(default 200), the next page from `next_cursor`.",
)
async def list_users(
    principal: Principal,
    pool: asyncpg.Pool,
    q: Query = "",
    role: RoleName | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Parameter(ge=1, le=500)] = 200,
) -> UserList:
    return await service.list_users(pool, principal, q, role, cursor=cursor, limit=limit)


@delete(
    "/api/v1/admin/users/{user_id:uuid}/roles/{role:str}",
    operation_id="revokeRole",
    tags=["admin"],
    status_code=204,
)
async def revoke_role(
    user_id: UUID,
    role: str,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
) -> None:
    """Take a role away; every session of the account ends at once."""
    ended = await service.revoke_role(pool, redis, settings, principal, str(user_id), role)
    await audit.record(
        pool,
        principal,
        "user.roles_revoke",
        target_type="user",
        target_id=str(user_id),
        client_ip=audit_origin(request),
        detail={"role": role, "sessions_ended": ended},
    )


@delete(
    "/api/v1/admin/users/{user_id:uuid}/totp",
    operation_id="resetUserTotp",
    tags=["admin"],
    status_code=204,
    description="Remove another account's authenticator and recovery codes (a lost phone) and "
    "end its sessions; its next sign-in is one step, or a new enrolment where two-factor is "
    "required. Your own is reset by another admin (403).",
)
async def reset_totp(
    user_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
) -> None:
    had, ended = await service.reset_totp(pool, redis, settings, principal, str(user_id))
    await audit.record(
        pool,
        principal,
        "user.totp_reset",
        target_type="user",
        target_id=str(user_id),
        client_ip=audit_origin(request),
        detail={"had_authenticator": had, "sessions_ended": ended},
    )


ROUTES = [live_sale, search_orders, list_users, revoke_role, reset_totp]
