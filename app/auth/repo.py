"""Users and roles in Postgres, through named SQL blocks."""

from __future__ import annotations

import uuid

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
    )


async def insert_user(
    conn: asyncpg.Connection | asyncpg.Pool,
    user_id: str,
    email: str,
    password_hash: str,
    name: str,
    locale: str,
) -> None:
    await conn.execute(queries.insert_user, uuid.UUID(user_id), email, password_hash, name, locale)


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
