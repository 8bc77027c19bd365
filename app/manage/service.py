"""The console's read operations: live sale figures, order search, the user list."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from redis.asyncio import Redis

from app.auth import repo as auth_repo
from app.auth import sessions, twofactor
from app.auth.guards import require_role
from app.core.clock import utcnow
from app.core.errors import forbidden, invalid, not_found
from app.core.ids import canonical_uuid
from app.core.scripts import Scripts
from app.core.security import Principal
from app.core.settings import Settings
from app.core.sql import like_pattern
from app.events import access
from app.events.service import get_managed_event
from app.manage import repo
from app.manage.schemas import LiveSale, OrderHit, OrderHits, UserList, UserOut
from app.ops.stats import event_stats
from app.orgs import roles


async def live_sale(
    pool: asyncpg.Pool, redis: Redis, scripts: Scripts, principal: Principal, event_id: str
) -> LiveSale:
    event = await get_managed_event(pool, principal, event_id, need="read")
    stats, orders_last_min = await event_stats(pool, redis, scripts, principal, event_id)
    counts = await repo.live_sale_counts(pool, event.event_id)
    ended = counts["holds_converted"] + counts["holds_expired"] + counts["holds_released"]
    return LiveSale(
        at=utcnow(),
        status=event.status,
        on_sale=event.on_sale(utcnow()),
        stats=stats,
        orders_last_min=orders_last_min,
        payment_failures=counts["payment_failures"],
        orders_cancelled=counts["orders_cancelled"],
        holds_converted=counts["holds_converted"],
        holds_expired=counts["holds_expired"],
        holds_released=counts["holds_released"],
        hold_success=round(counts["holds_converted"] / ended, 4) if ended else None,
    )


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(\d{1,17})_([0-9a-f-]{36})$")


def cursor_of(created_at: datetime, row_id: uuid.UUID | str) -> str:
    """Where the next page starts: after this row (newest first by creation, then id)."""
    micros = (created_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}_{row_id}"


def parse_cursor(text: str | None) -> tuple[datetime, uuid.UUID] | None:
    """A cursor from a previous page; anything else is a 422 on `cursor`."""
    if text is None or text == "":
        return None
    match = _CURSOR.match(text)
    row_id = canonical_uuid(match[2]) if match else None
    if match is None or row_id is None:
        raise invalid("cursor", "Not a cursor from this list")
    return EPOCH + timedelta(microseconds=int(match[1])), uuid.UUID(row_id)


async def search_orders(
    pool: asyncpg.Pool,
    principal: Principal,
    q: str,
    event_id: str | None,
    *,
    cursor: str | None = None,
    limit: int = 100,
) -> OrderHits:
    """Orders of the caller's events: `q` is an order id, part of an email, or empty (latest);
    a page of `limit`, newest first, from `cursor` on."""
    if event_id is not None:
        canonical = canonical_uuid(event_id)
        if canonical is None:
            raise not_found("Event")
        event_id = canonical
        await get_managed_event(pool, principal, event_id, need="read")
    else:
        await access.require_staff(pool, principal)
    q = q.strip()
    order_id = canonical_uuid(q)
    email_like = like_pattern(q) if q and order_id is None else None
    rows = await repo.search_orders(
        pool,
        viewer_id=principal.user_id,
        see_all="admin" in principal.roles,
        reader_roles=roles.roles_allowing("read"),
        event_id=event_id,
        order_id=order_id,
        email_like=email_like,
        after=parse_cursor(cursor),
        limit=limit + 1,  # one more tells whether another page follows
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        OrderHit(
            order_id=str(r["order_id"]),
            event_id=str(r["event_id"]),
            event_name=r["event_name"],
            email=r["email"],
            status=r["status"],
            section=r["section_code"],
            quantity=r["quantity"],
            amount_cents=r["amount_cents"],
            currency=r["currency"],
            created_at=r["created_at"],
            confirmed_at=r["confirmed_at"],
            cancel_reason=r["cancel_reason"],
        )
        for r in rows
    ]
    last = rows[-1] if more else None
    return OrderHits(
        items=items,
        next_cursor=cursor_of(last["created_at"], last["order_id"]) if last else None,
    )


async def list_users(
    pool: asyncpg.Pool,
    principal: Principal,
    q: str,
    role: str | None,
    *,
    cursor: str | None = None,
    limit: int = 200,
) -> UserList:
    """Accounts, newest first, a page of `limit` from `cursor` on."""
    require_role(principal, "admin")
    email_like = like_pattern(q.strip()) if q.strip() else None
    rows = await repo.list_users(pool, email_like, role, parse_cursor(cursor), limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        UserOut(
            user_id=str(r["user_id"]),
            email=r["email"],
            name=r["name"],
            roles=list(r["roles"]),
            totp_enabled=r["totp_enabled"],
            created_at=r["created_at"],
        )
        for r in rows
    ]
    last = rows[-1] if more else None
    return UserList(
        items=items, next_cursor=cursor_of(last["created_at"], last["user_id"]) if last else None
    )


async def revoke_role(
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    principal: Principal,
    user_id: str,
    role: str,
) -> int:
    """Take a role away and end every session of the account (tokens carry roles, so a
    demoted admin would otherwise keep admin rights until the access token expires).
    Returns the number of sessions ended."""
    require_role(principal, "admin")
    canonical = canonical_uuid(user_id)
    if canonical is None:
        raise not_found("User")
    user_id = canonical
    if role not in ("organizer", "admin", "fan"):
        raise invalid("role", "Unknown role")
    if role == "fan":
        raise invalid("role", "Every account keeps the fan role")
    if role == "admin" and user_id == canonical_uuid(principal.user_id):
        raise forbidden("Admins cannot take their own admin role away")
    await repo.revoke_role(pool, user_id, role)
    return await sessions.end_all(pool, redis, settings, user_id, "role_revoked")


async def reset_totp(
    pool: asyncpg.Pool, redis: Redis, settings: Settings, principal: Principal, user_id: str
) -> tuple[bool, int]:
    """Remove another account's lost authenticator (see twofactor.reset_lost)."""
    require_role(principal, "admin")
    canonical = canonical_uuid(user_id)
    if canonical is None or await auth_repo.by_id(pool, canonical) is None:
        raise not_found("User")
    user_id = canonical
    if user_id == canonical_uuid(principal.user_id):
        # A stolen admin session must not be able to swap the admin's own second factor.
        raise forbidden("Another admin resets your own two-factor sign-in")
    return await twofactor.reset_lost(pool, redis, settings, user_id)
