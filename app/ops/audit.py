"""HTTP endpoints reading the audit log: all of it for admins, one event's for its organizer."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import asyncpg
import msgspec
from litestar import get
from litestar.params import Parameter

from app.audit import service
from app.audit.repo import AuditEntry
from app.auth.guards import require_role
from app.core.errors import not_found
from app.core.ids import canonical_uuid
from app.core.security import Principal
from app.core.sql import like_pattern
from app.events.service import get_managed_event
from app.orgs import service as orgs


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    next_before: int | None = None


Limit = Annotated[int, Parameter(ge=1, le=500, description="Entries per page")]
Before = Annotated[
    int | None, Parameter(ge=1, description="Only entries older than this audit_id (paging)")
]
Action = Annotated[str | None, Parameter(max_length=64, pattern=r"^[a-z_.]+$")]
Actor = Annotated[
    str | None, Parameter(max_length=254, description="Part of the acting account's email")
]


def _like(actor: str | None) -> str | None:
    return like_pattern(actor.strip()) if actor and actor.strip() else None


def _page(items: list[AuditEntry], limit: int) -> AuditPage:
    return AuditPage(items=items, next_before=items[-1].audit_id if len(items) == limit else None)


@get("/api/v1/admin/audit", operation_id="listAudit", tags=["admin"])
async def list_audit(
    principal: Principal,
    pool: asyncpg.Pool,
    event_id: Annotated[str | None, Parameter(max_length=36)] = None,
    action: Action = None,
    actor: Actor = None,
    before: Before = None,
    limit: Limit = 100,
) -> AuditPage:
    require_role(principal, "admin")
    if event_id is not None:
        canonical = canonical_uuid(event_id)
        if canonical is None:
            raise not_found("Event")
        event_id = canonical
    rows = await service.entries(
        pool,
        event_id=event_id,
        before=before,
        action=action,
        limit=limit,
        actor_like=_like(actor),
    )
    return _page(rows, limit)


@get("/api/v1/events/{event_id:uuid}/audit", operation_id="listEventAudit", tags=["events"])
async def event_audit(
    event_id: UUID,
    principal: Principal,
    pool: asyncpg.Pool,
    action: Action = None,
    actor: Actor = None,
    before: Before = None,
    limit: Limit = 100,
) -> AuditPage:
    event = await get_managed_event(pool, principal, str(event_id), need="read")
    rows = await service.entries(
        pool,
        event_id=event.event_id,
        before=before,
        action=action,
        limit=limit,
        actor_like=_like(actor),
    )
    return _page(rows, limit)


@get("/api/v1/orgs/{org_id:uuid}/audit", operation_id="listOrgAudit", tags=["orgs"])
async def org_audit(
    org_id: UUID,
    principal: Principal,
    pool: asyncpg.Pool,
    action: Action = None,
    actor: Actor = None,
    before: Before = None,
    limit: Limit = 100,
) -> AuditPage:
    """The organization's log: its team changes and every entry about its events."""
    await orgs.require(pool, principal, str(org_id), "read")
    rows = await service.entries(
        pool,
        event_id=None,
        org_id=str(org_id),
        before=before,
        action=action,
        limit=limit,
        actor_like=_like(actor),
    )
    return _page(rows, limit)


ROUTES = [list_audit, event_audit, org_audit]
