"""The route handlers of every feature, gathered for create_app."""

from __future__ import annotations

from typing import Any


def all_routes() -> list[Any]:
    from app.auth.controllers import ROUTES as auth_routes
    from app.events.controllers import ROUTES as event_routes
    from app.ops.controllers import ROUTES as ops_routes

    return [*ops_routes, *auth_routes, *event_routes]
