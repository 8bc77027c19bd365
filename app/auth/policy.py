"""Which roles need a second factor, and what a session without one may carry."""

from __future__ import annotations

from app.core.settings import Settings


def required(settings: Settings, roles: tuple[str, ...]) -> bool:
    """Admins always sign in with a second factor; organizers when the deployment says so."""
    return "admin" in roles or ("organizer" in roles and settings.require_2fa_organizers)


def token_roles(settings: Settings, roles: tuple[str, ...], second_factor: bool) -> tuple[str, ...]:
    """The roles a session's tokens carry: a role that needs a second factor only when the
    session was started or stepped up with one. An account promoted after a password-only
    sign-in therefore gets the new role from its next sign-in or step-up, not its next refresh.
    """
    if second_factor:
        return roles
    return tuple(role for role in roles if not required(settings, (role,)))
