"""Organizations, members and invitations in Postgres, through named SQL blocks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from app.core.db import Conn
from app.core.sql import queries


async def insert_org(conn: Conn, org_id: str, name: str) -> None:
    await conn.execute(queries.insert_org, uuid.UUID(org_id), name)


async def upsert_member(conn: Conn, org_id: str, user_id: str, role: str) -> None:
    await conn.execute(queries.upsert_member, uuid.UUID(org_id), uuid.UUID(user_id), role)


async def member_role(conn: Conn, org_id: str, user_id: str) -> str | None:
    role: str | None = await conn.fetchval(
        queries.member_role, uuid.UUID(org_id), uuid.UUID(user_id)
    )
    return role


async def is_member_anywhere(conn: Conn, user_id: str) -> bool:
    return bool(await conn.fetchval(queries.is_member_anywhere, uuid.UUID(user_id)))


async def orgs_of_user(conn: Conn, user_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.orgs_of_user, uuid.UUID(user_id))
    return rows


async def org_by_id(conn: Conn, org_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.org_by_id, uuid.UUID(org_id))
    return row


async def lock_org(conn: Conn, org_id: str) -> bool:
    return await conn.fetchval(queries.lock_org, uuid.UUID(org_id)) is not None


async def members_of_org(conn: Conn, org_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(queries.members_of_org, uuid.UUID(org_id))
    return rows


async def count_owners(conn: Conn, org_id: str) -> int:
    return int(await conn.fetchval(queries.count_owners, uuid.UUID(org_id)))


async def set_member_role(conn: Conn, org_id: str, user_id: str, role: str) -> bool:
    row = await conn.fetchval(queries.set_member_role, uuid.UUID(org_id), uuid.UUID(user_id), role)
    return row is not None


async def delete_member(conn: Conn, org_id: str, user_id: str) -> bool:
    row = await conn.fetchval(queries.delete_member, uuid.UUID(org_id), uuid.UUID(user_id))
    return row is not None


async def open_invitation(
    conn: Conn,
    *,
    invitation_id: str,
    org_id: str,
    email: str,
    role: str,
    invited_by: str,
    expires_at: datetime,
) -> str:
    value = await conn.fetchval(
        queries.open_invitation,
        uuid.UUID(invitation_id),
        uuid.UUID(org_id),
        email,
        role,
        uuid.UUID(invited_by),
        expires_at,
    )
    return str(value)


async def invitation_by_id(conn: Conn, invitation_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        queries.invitation_by_id, uuid.UUID(invitation_id)
    )
    return row


async def invitation_for_update(conn: Conn, invitation_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        queries.invitation_for_update, uuid.UUID(invitation_id)
    )
    return row


async def open_invitations_of_org(conn: Conn, org_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        queries.open_invitations_of_org, uuid.UUID(org_id)
    )
    return rows


async def accept_invitation(conn: Conn, invitation_id: str) -> None:
    await conn.execute(queries.accept_invitation, uuid.UUID(invitation_id))


async def revoke_invitation(conn: Conn, invitation_id: str, org_id: str) -> bool:
    value = await conn.fetchval(
        queries.revoke_invitation, uuid.UUID(invitation_id), uuid.UUID(org_id)
    )
    return value is not None


async def invitation_message(
    conn: Conn, kind: str, dedup_key: str, payload: dict[str, Any]
) -> None:
    await conn.execute(queries.invitation_message, kind, dedup_key, payload)


async def seller(conn: Conn, org_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(queries.org_seller, uuid.UUID(org_id))
    return row


async def put_seller(
    conn: Conn, org_id: str, legal_name: str, address: str, vat_id: str
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        queries.put_org_seller, uuid.UUID(org_id), legal_name, address, vat_id
    )
    return row
