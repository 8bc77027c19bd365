"""The route handlers of every feature, gathered for create_app."""

from __future__ import annotations

from typing import Any


def all_routes(*, bench: bool = False) -> list[Any]:
    from app.audit.controllers import ROUTES as audit_routes
    from app.auth.controllers import ROUTES as auth_routes
    from app.checkout.controllers import ROUTES as checkout_routes
    from app.events.controllers import ROUTES as event_routes
    from app.holds.controllers import ROUTES as hold_routes
    from app.ops.controllers import ROUTES as ops_routes
    from app.orders.controllers import ROUTES as order_routes
    from app.payments.controllers import ROUTES as payment_routes
    from app.queue.controllers import ROUTES as queue_routes

    routes = [
        *ops_routes,
        *auth_routes,
        *event_routes,
        *queue_routes,
        *hold_routes,
        *checkout_routes,
        *order_routes,
        *payment_routes,
        *audit_routes,
    ]
    if bench:
        from app.bench.endpoints import ROUTES as bench_routes

        routes.extend(bench_routes)
    return routes
