"""What each role in an organization may do: the one table every authorization check reads."""

from __future__ import annotations

from typing import Literal

Role = Literal["owner", "manager", "box_office", "scanner", "viewer"]
ROLES: tuple[Role, ...] = ("owner", "manager", "box_office", "scanner", "viewer")

# What a route needs of the caller's role in the event's organization.
#   read     see the event's setup, figures, orders, audit and exports
#   edit     change the event: settings, status, sections, copies, check-in lists, webhooks
#   refund   refund and cancel orders
#   scan     check tickets in at the door
#   members  invite, change and remove members
#   payouts  where the money goes (the organization's payout settings)
Need = Literal["read", "edit", "refund", "scan", "members", "payouts"]
NEEDS: tuple[Need, ...] = ("read", "edit", "refund", "scan", "members", "payouts")

GRANTS: dict[str, frozenset[str]] = {
    "owner": frozenset(NEEDS),
    "manager": frozenset({"read", "edit", "refund", "scan"}),
    "box_office": frozenset({"read", "refund"}),
    # The door needs the event to scan for; nothing else of the sale.
    "scanner": frozenset({"scan"}),
    "viewer": frozenset({"read"}),
}

# Roles that may create events in the organization.
CREATORS = frozenset({"owner", "manager"})


def roles_allowing(need: str) -> list[str]:
    """The roles that allow `need` (for queries that filter by role)."""
    return [role for role in ROLES if need in GRANTS[role]]


def allows(role: str | None, need: str) -> bool:
    """True when a member with `role` may do what `need` names; no role allows nothing."""
    if role is None:
        return False
    return need in GRANTS.get(role, frozenset())
