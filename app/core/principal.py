"""The calling principal, read from the request's bearer access token (no database)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from app.core.errors import unauthorized
from app.core.security import Principal, read_access_token
from app.core.settings import Settings


def bearer_principal(request: Request[Any, Any, Any]) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    settings: Settings = request.app.state.settings
    return read_access_token(settings.secret_key, token.strip())


def require_principal(request: Request[Any, Any, Any]) -> Principal:
    """The authenticated caller, or 401 unauthorized."""
    principal = bearer_principal(request)
    if principal is None:
        raise unauthorized()
    return principal
