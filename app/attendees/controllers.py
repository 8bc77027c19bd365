"""HTTP: an event's names rule and questions, the attendee export (organizer); an order's names
and answers (its buyer)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, get, put
from litestar.response import Stream

from app.attendees import service
from app.attendees.schemas import (
    AttendeeSettings,
    AttendeeSettingsIn,
    OrderAttendees,
    OrderAttendeesIn,
)
from app.audit import service as audit
from app.core.clientip import audit_origin
from app.core.security import Principal


@get(
    "/api/v1/events/{event_id:uuid}/attendee-settings",
    operation_id="getAttendeeSettings",
    tags=["attendees"],
    description="Whether the event asks each ticket's attendee name (off, optional, required), "
    "until how many hours before the start fans may change them, and its custom questions.",
)
async def get_attendee_settings(
    event_id: UUID, principal: Principal, pool: asyncpg.Pool
) -> AttendeeSettings:
    return await service.get_settings(pool, principal, str(event_id))


@put(
    "/api/v1/events/{event_id:uuid}/attendee-settings",
    operation_id="putAttendeeSettings",
    tags=["attendees"],
    description="Set the names rule, the cut-off and the questions (the whole list; a question "
    "sent with its question_id keeps its answers).",
)
async def put_attendee_settings(
    event_id: UUID,
    data: AttendeeSettingsIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> AttendeeSettings:
    saved = await service.put_settings(pool, principal, str(event_id), data)
    await audit.organizer_action(
        request, pool, principal, "event.attendee_settings", saved.event_id,
        names=saved.names, cutoff_hours=saved.cutoff_hours, questions=len(saved.questions),
    )  # fmt: skip
    return saved


@get(
    "/api/v1/events/{event_id:uuid}/attendees",
    operation_id="exportAttendees",
    tags=["attendees"],
    media_type="text/csv",
    description="Every ticket of the event as CSV: order, buyer, seat, attendee name and one "
    "column per custom question.",
)
async def export_attendees(
    event_id: UUID, request: Request[Any, Any, Any], principal: Principal, pool: asyncpg.Pool
) -> Stream:
    rows = await service.export_csv(pool, principal, str(event_id))
    await audit.record_event(
        pool, principal, "event.export_attendees", str(event_id),
        client_ip=audit_origin(request), detail={"format": "csv"},
    )  # fmt: skip
    return Stream(
        rows,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="attendees-{event_id}.csv"'},
    )


@get(
    "/api/v1/orders/{order_id:uuid}/attendees",
    operation_id="getOrderAttendees",
    tags=["orders"],
    description="The buyer's form: each ticket's name and answers, the order's answers, the "
    "questions, until when they may change, and how many required ones are missing.",
)
async def get_order_attendees(
    order_id: UUID, principal: Principal, pool: asyncpg.Pool
) -> OrderAttendees:
    return await service.get_order_attendees(pool, principal, str(order_id))


@put(
    "/api/v1/orders/{order_id:uuid}/attendees",
    operation_id="putOrderAttendees",
    tags=["orders"],
    description="Save the names and answers (422 answer_required / answer_invalid with the "
    "fields; 409 attendee_changes_closed after the cut-off; 409 order_not_paid before).",
)
async def put_order_attendees(
    order_id: UUID, data: OrderAttendeesIn, principal: Principal, pool: asyncpg.Pool
) -> OrderAttendees:
    return await service.put_order_attendees(pool, principal, str(order_id), data)


ROUTES = [
    get_attendee_settings,
    put_attendee_settings,
    export_attendees,
    get_order_attendees,
    put_order_attendees,
]
