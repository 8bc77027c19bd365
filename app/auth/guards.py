"""Role checks used by controllers of every feature."""

from __future__ import annotations

from app.core.errors import forbidden
from app.core.security import Principal


def require_role(principal: Principal, role: str) -> None:
    """Admins pass every role check."""
    if not principal.has(role):
        raise forbidden(f"This needs the {role} role")
