"""Role checks used by controllers of every feature."""

from __future__ import annotations

from app.core.errors import AppError
from app.core.i18n import N_
from app.core.security import Principal


def require_role(principal: Principal, role: str) -> None:
    """Admins pass every role check."""
    if not principal.has(role):
        raise AppError(
            "forbidden", 403, "Forbidden", N_("This needs the {role} role"), params={"role": role}
        )
