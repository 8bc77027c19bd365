"""Audit entries in Postgres, through named SQL blocks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from app.core.sql import queries


class AuditEntry(msgspec.Struct, frozen=True):
    """One audit log entry, as stored and as the audit endpoints answer it."""

    audit_id: int
    at: datetime
    actor_id: str | None
    actor_roles: list[str]
    action: str
    target_type: str
    target_id: str
    event_id: str | None
    client_ip: str
    detail: dict[str, Any]
    # Read with the entry so the log reads without looking ids up (null: no such account or
    # event any more, or none).
    actor_email: str | None = None
    event_name: str | None = None
    target_label: str | None = None


async def insert(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    actor_id: str | None,
    actor_roles: list[str],
    action: str,
    target_type: str,
    target_id: str,
    event_id: str | None,
    client_ip: str,
    detail: dict[str, Any],
    org_id: str | None = None,
) -> None:
    await conn.execute(
        queries.insert_audit,
        uuid.UUID(actor_id) if actor_id else None,
        actor_roles,
        action,
        target_type,
        target_id,
        uuid.UUID(event_id) if event_id else None,
        client_ip,
        detail,  # the pool's jsonb codec encodes it
        uuid.UUID(org_id) if org_id else None,
    )


async def page(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    event_id: str | None,
    before: int | None,
    action: str | None,
    limit: int,
    actor_like: str | None = None,
    org_id: str | None = None,
) -> list[AuditEntry]:
    rows = await conn.fetch(
        queries.audit_page,
        uuid.UUID(event_id) if event_id else None,
        before,
        action,
        limit,
        actor_like,
        uuid.UUID(org_id) if org_id else None,
    )
    return [
        AuditEntry(
            audit_id=r["audit_id"],
            at=r["at"],
            actor_id=str(r["actor_id"]) if r["actor_id"] else None,
            actor_roles=list(r["actor_roles"]),
            action=r["action"],
            target_type=r["target_type"],
            target_id=r["target_id"],
            event_id=str(r["event_id"]) if r["event_id"] else None,
            client_ip=r["client_ip"],
            detail=r["detail"],
            actor_email=r["actor_email"],
            event_name=r["event_name"],
            target_label=r["target_label"],
        )
        for r in rows
    ]
