"""Users and roles in Postgres, through named SQL blocks."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from app.core.sql import queries


class UserRow(msgspec.Struct, frozen=True):
    user_id: str
    email: str
    password_hash: str
    name: str
    locale: str
    roles: tuple[str, ...]
    # The profile language was chosen (at registration or later), not a default.
    locale_chosen: bool = True
    email_verified: bool = False


def _row(record: asyncpg.Record | None) -> UserRow | None:
    if record is None:
        return None
    return UserRow(
        user_id=str(record["user_id"]),
        email=record["email"],
        password_hash=record["password_hash"],
        name=record["name"],
        locale=record["locale"],
        roles=tuple(record["roles"]),
        locale_chosen=record["locale_chosen"],
        email_verified=record["email_verified"],
    )


async def insert_user(
    conn: asyncpg.Connection | asyncpg.Pool,
    user_id: str,
    email: str,
    password_hash: str,
    name: str,
    locale: str,
    locale_chosen: bool = True,
) -> None:
    await conn.execute(
        queries.insert_user,
        uuid.UUID(user_id),
        email,
        password_hash,
        name,
        locale,
        locale_chosen,
    )


async def grant_role(conn: asyncpg.Connection | asyncpg.Pool, user_id: str, role: str) -> None:
    await conn.execute(queries.grant_role, uuid.UUID(user_id), role)


async def by_email(conn: asyncpg.Connection | asyncpg.Pool, email: str) -> UserRow | None:
    return _row(await conn.fetchrow(queries.user_by_email, email))


async def by_id(conn: asyncpg.Connection | asyncpg.Pool, user_id: str) -> UserRow | None:
    return _row(await conn.fetchrow(queries.user_by_id, uuid.UUID(user_id)))


async def update_profile(
    conn: asyncpg.Connection | asyncpg.Pool,
    user_id: str,
    name: str | None,
    locale: str | None,
    password_hash: str | None,
) -> None:
    await conn.execute(queries.update_profile, uuid.UUID(user_id), name, locale, password_hash)


async def set_password(
    conn: asyncpg.Connection | asyncpg.Pool, user_id: str, password_hash: str
) -> None:
    await conn.execute(queries.set_password, uuid.UUID(user_id), password_hash)


async def password_hash_for_update(conn: asyncpg.Connection, user_id: str) -> str | None:
    found: str | None = await conn.fetchval(queries.password_hash_for_update, uuid.UUID(user_id))
    return found


async def verify_email(conn: asyncpg.Connection | asyncpg.Pool, user_id: str, email: str) -> bool:
    status: str = await conn.execute(queries.verify_email, uuid.UUID(user_id), email)
    return status.endswith(" 1")


async def account_message(
    conn: asyncpg.Connection | asyncpg.Pool, kind: str, dedup_key: str, payload: dict[str, Any]
) -> None:
    await conn.execute(queries.account_message, kind, dedup_key, payload)


async def purchase_needs_verified_email(
    conn: asyncpg.Connection | asyncpg.Pool, event_id: str, user_id: str
) -> bool:
    needs: bool | None = await conn.fetchval(
        queries.purchase_needs_verified_email, uuid.UUID(event_id), uuid.UUID(user_id)
    )
    return bool(needs)


# --- sign-in sessions and refresh tokens --------------------------------------
class RefreshRow(msgspec.Struct, frozen=True):
    session_id: str
    user_id: str
    used: bool
    ended: bool
    expired: bool
    # The session was started or stepped up with a second factor.
    second_factor: bool = False
    # When the token was used (epoch seconds), None while unused.
    used_at: float | None = None


async def insert_session(
    conn: asyncpg.Connection | asyncpg.Pool,
    session_id: str,
    user_id: str,
    ttl_s: int,
    second_factor: bool,
) -> None:
    await conn.execute(
        queries.insert_session,
        uuid.UUID(session_id),
        uuid.UUID(user_id),
        float(ttl_s),
        second_factor,
    )


async def insert_refresh_token(
    conn: asyncpg.Connection | asyncpg.Pool, token_hash: bytes, session_id: str
) -> None:
    await conn.execute(queries.insert_refresh_token, token_hash, uuid.UUID(session_id))


async def refresh_token_for_update(
    conn: asyncpg.Connection, token_hash: bytes
) -> RefreshRow | None:
    record = await conn.fetchrow(queries.refresh_token_for_update, token_hash)
    if record is None:
        return None
    return RefreshRow(
        session_id=str(record["session_id"]),
        user_id=str(record["user_id"]),
        used=record["used_at"] is not None,
        ended=record["ended_at"] is not None,
        expired=bool(record["expired"]),
        second_factor=bool(record["second_factor"]),
        used_at=None if record["used_at"] is None else record["used_at"].timestamp(),
    )


async def mark_refresh_token_used(
    conn: asyncpg.Connection, token_hash: bytes, used_at: float
) -> None:
    await conn.execute(queries.mark_refresh_token_used, token_hash, used_at)


async def refresh_token_unused(conn: asyncpg.Connection, token_hash: bytes) -> bool:
    """True when this refresh token exists and has not been used."""
    return bool(await conn.fetchval(queries.refresh_token_state, token_hash))


async def end_session(
    conn: asyncpg.Connection | asyncpg.Pool, session_id: str, user_id: str, reason: str
) -> bool:
    ended = await conn.fetchval(
        queries.end_session, uuid.UUID(session_id), uuid.UUID(user_id), reason
    )
    return ended is not None


async def end_other_sessions(
    conn: asyncpg.Connection | asyncpg.Pool, user_id: str, keep: str | None, reason: str
) -> list[str]:
    rows = await conn.fetch(
        queries.end_other_sessions,
        uuid.UUID(user_id),
        uuid.UUID(keep) if keep else None,
        reason,
    )
    return [str(r["session_id"]) for r in rows]
