"""What each team role may do, as the product promises it (box office refunds, scanner staff
scan, viewers only read, only owners change the team and payouts): written out here, apart
from app/orgs/roles.py, so that a change to the server's table is caught, not followed."""

from __future__ import annotations

ROLES = ("owner", "manager", "box_office", "scanner", "viewer")

PROMISED: dict[str, frozenset[str]] = {
    "owner": frozenset({"read", "edit", "refund", "scan", "members", "payouts"}),
    "manager": frozenset({"read", "edit", "refund", "scan"}),
    "box_office": frozenset({"read", "refund"}),
    "scanner": frozenset({"scan"}),
    "viewer": frozenset({"read"}),
}


def promised(role: str, need: str | None) -> bool:
    """Whether `role` may do what `need` names (None: any member)."""
    return need is None or need in PROMISED[role]
