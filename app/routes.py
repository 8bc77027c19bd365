"""The route handlers of every feature, gathered for create_app."""

from __future__ import annotations

from typing import Any


def all_routes(*, bench: bool = False) -> list[Any]:
    from app.admission.controllers import ROUTES as control_routes
    from app.attendees.controllers import ROUTES as attendee_routes
    from app.auth.controllers import ROUTES as auth_routes
    from app.auth.totp_controllers import ROUTES as totp_routes
    from app.checkout.controllers import ROUTES as checkout_routes
    from app.discounts.controllers import ROUTES as discount_routes
    from app.events.controllers import ROUTES as event_routes
    from app.gate.controllers import ROUTES as gate_routes
    from app.holds.controllers import ROUTES as hold_routes
    from app.manage.controllers import ROUTES as manage_routes
    from app.money.controllers import ROUTES as money_routes
    from app.moves.controllers import ROUTES as move_routes
    from app.notifications.controllers import ROUTES as notification_routes
    from app.ops.audit import ROUTES as audit_routes
    from app.ops.controllers import ROUTES as ops_routes
    from app.orders.controllers import ROUTES as order_routes
    from app.orgs.controllers import ROUTES as org_routes
    from app.party.controllers import ROUTES as party_routes
    from app.payments.controllers import ROUTES as payment_routes
    from app.phases.controllers import ROUTES as phase_routes
    from app.queue.controllers import ROUTES as queue_routes
    from app.queue.room import ROUTES as room_routes
    from app.reports.controllers import ROUTES as report_routes
    from app.seating.controllers import ROUTES as seating_routes
    from app.tickets.controllers import ROUTES as ticket_routes
    from app.tickettypes.controllers import ROUTES as ticket_type_routes
    from app.waitlist.controllers import ROUTES as waitlist_routes
    from app.web.routes import ROUTES as web_routes

    routes = [
        *ops_routes,
        *auth_routes,
        *totp_routes,
        *event_routes,
        *org_routes,
        *queue_routes,
        *phase_routes,
        *discount_routes,
        *ticket_type_routes,
        *room_routes,
        *hold_routes,
        *seating_routes,
        *checkout_routes,
        *money_routes,
        *attendee_routes,
        *order_routes,
        *ticket_routes,
        *move_routes,
        *payment_routes,
        *audit_routes,
        *manage_routes,
        *notification_routes,
        *waitlist_routes,
        *party_routes,
        *control_routes,
        *report_routes,
        *gate_routes,
        # The page catch-all answers only what no API route matched.
        *web_routes,
    ]
    if bench:
        routes.extend(plugin_routes(BENCH_ROUTES))
    return routes


# The framework-ceiling endpoint `onsale bench` measures lives in devtools (dev extra),
# found through this entry point group: the app never imports devtools.
BENCH_ROUTES = "onsale.bench_routes"


def plugin_routes(group: str) -> list[Any]:
    from importlib.metadata import entry_points

    return [route for entry in entry_points(group=group) for route in entry.load()]
