"""Who may do what with an event: the caller's role in the event's organization.

Every organizer route asks for one need (read, edit, refund, scan; app.orgs.roles says which
role grants which). An account outside the organization gets 404, so nothing reveals that
the event exists; a member whose role falls short gets 403; an account that is neither an
organizer nor a member of any organization gets 403 before any id is looked up.
"""

from __future__ import annotations

from app.core.db import Conn
from app.core.errors import AppError, not_found
from app.core.i18n import N_
from app.core.security import Principal
from app.events.model import EventRecord
from app.orgs import repo as orgs_repo
from app.orgs import roles
from app.orgs.service import role_forbidden


def not_staff() -> AppError:
    return AppError(
        "forbidden",
        403,
        "Forbidden",
        N_("This needs the {role} role"),
        params={"role": "organizer"},
    )


async def require_staff(conn: Conn, principal: Principal) -> None:
    """Organizers, admins and members of an organization pass; fans get 403."""
    if principal.has("organizer"):
        return
    if not await orgs_repo.is_member_anywhere(conn, principal.user_id):
        raise not_staff()


async def role_for(conn: Conn, principal: Principal, event: EventRecord) -> str | None:
    """The caller's role in the event's organization (an admin acts as its owner)."""
    if "admin" in principal.roles:
        return "owner"
    return await orgs_repo.member_role(conn, event.org_id, principal.user_id)


async def may(conn: Conn, principal: Principal, event: EventRecord, need: str) -> bool:
    return roles.allows(await role_for(conn, principal, event), need)


async def authorize(
    conn: Conn, principal: Principal, event: EventRecord, need: str, *, what: str = "Event"
) -> None:
    """Pass, or 404 (`what` not found) for an outsider and 403 for a member whose role does
    not allow `need`."""
    role = await role_for(conn, principal, event)
    if roles.allows(role, need):
        return
    if role is None:
        raise not_found(what)
    raise role_forbidden(role)
