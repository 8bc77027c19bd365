"""Writing and reading the audit log; controllers call `record` after an action succeeds."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg

from app.audit import repo
from app.audit.repo import AuditEntry
from app.core.clientip import audit_origin
from app.core.ids import canonical_uuid
from app.core.security import Principal

log = logging.getLogger("onsale.audit")

# Actions recorded (docs/operators/security.md lists them): organizer and admin actions plus
# security-relevant account events.
ACTIONS = frozenset(
    {
        "event.create",
        "event.patch",
        "event.publish",
        "event.pause",
        "event.resume",
        "event.capacity",
        "event.seatmap",
        "event.seats_blocked",
        "event.seats_unblocked",
        "event.export_orders",
        "event.export_entrants",
        "event.pow_difficulty",
        "event.rotate_ticket_key",
        "event.create_checkin_list",
        "event.resolve_checkin_conflict",
        "event.grant_scanner",
        "event.revoke_scanner",
        "order.refund",
        "order.cancel",
        "ticket.transfer",
        "ticket.transfer_accept",
        "ticket.transfer_cancel",
        "ticket.resale_list",
        "ticket.resale_withdraw",
        "event.move_rules",
        "phase.create",
        "phase.delete",
        "phase.codes",
        "phase.codes_export",
        "phase.codes_import",
        "phase.members",
        "phase.draw",
        "phase.refill",
        "discount.create",
        "discount.disable",
        "ticket_type.create",
        "ticket_type.update",
        "ticket_type.delete",
        "phase.export_entrants",
        "user.roles_grant",
        "user.roles_revoke",
        "user.totp_reset",
        "user.password_change",
        "user.password_reset",
        "webhook.replay",
        "session.refresh_reuse",
        "admin.bootstrap",
        "event.duplicate",
        "event.unpublish",
        "event.archive",
        "org.create",
        "org.invite",
        "org.invite_revoke",
        "org.invite_accept",
        "org.member_role",
        "org.member_remove",
        "org.seller",
        "event.attendee_settings",
        "event.export_attendees",
    }
)


async def record(
    pool: asyncpg.Pool,
    principal: Principal | None,
    action: str,
    *,
    target_type: str,
    target_id: str = "",
    event_id: str | None = None,
    client_ip: str | None = None,
    detail: dict[str, Any] | None = None,
    org_id: str | None = None,
) -> None:
    """Append one entry. An action that already happened is never undone by a failed write.
    `org_id` marks an entry about an organization itself (an event's entries reach its
    organization's log through the event)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    # Ids in their one spelling, so a search by id finds every entry about it.
    target_id = canonical_uuid(target_id) or target_id
    if event_id is not None:
        event_id = canonical_uuid(event_id) or event_id
    try:
        await repo.insert(
            pool,
            actor_id=principal.user_id if principal else None,
            actor_roles=list(principal.roles) if principal else [],
            action=action,
            target_type=target_type,
            target_id=target_id,
            event_id=event_id,
            client_ip=client_ip or "",
            detail=detail or {},
            org_id=org_id,
        )
    except (OSError, asyncpg.PostgresError):
        # The action itself has happened (some live in Redis only); failing
        # the request now would invite a retry that repeats it.
        log.exception("audit entry not written: %s %s %s", action, target_type, target_id)


async def record_event(
    pool: asyncpg.Pool,
    principal: Principal,
    action: str,
    event_id: str,
    *,
    client_ip: str | None,
    detail: dict[str, Any],
) -> None:
    """An organizer's action on one event: the event is both the entry's target and its scope."""
    await record(
        pool,
        principal,
        action,
        target_type="event",
        target_id=event_id,
        event_id=event_id,
        client_ip=client_ip,
        detail=detail,
    )


async def organizer_action(
    request: Any,
    pool: asyncpg.Pool,
    principal: Principal,
    action: str,
    event_id: str,
    *,
    target_type: str = "event",
    target_id: str | None = None,
    **detail: Any,
) -> None:
    """An organizer's action on one event, as the controller that did it records it: from the
    request's audited origin; the target is the event unless named (a section, a phase)."""
    await record(
        pool,
        principal,
        action,
        target_type=target_type,
        target_id=event_id if target_id is None else target_id,
        event_id=event_id,
        client_ip=audit_origin(request),
        detail=detail,
    )


async def entries(
    pool: asyncpg.Pool,
    *,
    event_id: str | None,
    before: int | None,
    action: str | None,
    limit: int,
    actor_like: str | None = None,
    org_id: str | None = None,
) -> list[AuditEntry]:
    return await repo.page(
        pool,
        event_id=event_id,
        before=before,
        action=action,
        limit=limit,
        actor_like=actor_like,
        org_id=org_id,
    )
