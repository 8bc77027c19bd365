"""HTTP endpoints: a fan's notification preferences; an organizer's integrator webhooks
(per event, or for all their events) and their delivery log."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Request, Response, delete, get, post, put
from litestar.params import Parameter

from app.audit import service as audit
from app.auth.guards import require_role
from app.core.clientip import audit_origin
from app.core.security import Principal
from app.core.settings import Settings
from app.events import service as events
from app.notifications import service
from app.notifications.calendar import event_ics
from app.notifications.schemas import (
    DeliveryList,
    Preferences,
    Webhook,
    WebhookDelivery,
    WebhookIn,
    WebhookList,
)

TAGS = ["notifications"]
# A bigint in Postgres: anything outside is refused at the edge, never a database error.
DeliveryId = Annotated[int, Parameter(ge=1, le=2**63 - 1)]


@get("/api/v1/me/notifications", operation_id="getNotificationPreferences", tags=TAGS)
async def get_preferences(principal: Principal, pool: asyncpg.Pool) -> Preferences:
    return await service.preferences(pool, principal.user_id)


@put("/api/v1/me/notifications", operation_id="putNotificationPreferences", tags=TAGS)
async def put_preferences(
    data: Preferences, principal: Principal, pool: asyncpg.Pool
) -> Preferences:
    return await service.set_preferences(pool, principal.user_id, data)


@post(
    "/api/v1/events/{event_id:uuid}/webhooks",
    operation_id="createEventWebhook",
    tags=TAGS,
    status_code=201,
)
async def create_event_webhook(
    event_id: UUID, data: WebhookIn, principal: Principal, pool: asyncpg.Pool, settings: Settings
) -> Webhook:
    return await service.create_webhook(
        pool, principal, str(event_id), data, allow_private=settings.webhook_allow_private
    )


@get("/api/v1/events/{event_id:uuid}/webhooks", operation_id="listEventWebhooks", tags=TAGS)
async def list_event_webhooks(
    event_id: UUID, principal: Principal, pool: asyncpg.Pool
) -> WebhookList:
    return WebhookList(items=await service.list_webhooks(pool, principal, str(event_id)))


@delete(
    "/api/v1/events/{event_id:uuid}/webhooks/{webhook_id:uuid}",
    operation_id="deleteEventWebhook",
    tags=TAGS,
    status_code=204,
)
async def delete_event_webhook(
    event_id: UUID, webhook_id: UUID, principal: Principal, pool: asyncpg.Pool
) -> None:
    await service.delete_webhook(pool, principal, str(event_id), str(webhook_id))


@get(
    "/api/v1/events/{event_id:uuid}/webhooks/{webhook_id:uuid}/deliveries",
    operation_id="listEventWebhookDeliveries",
    tags=TAGS,
)
async def event_webhook_deliveries(
    event_id: UUID, webhook_id: UUID, principal: Principal, pool: asyncpg.Pool
) -> DeliveryList:
    items = await service.webhook_deliveries(pool, principal, str(event_id), str(webhook_id))
    return DeliveryList(items=items)


@post(
    "/api/v1/organizer/webhooks",
    operation_id="createOrganizerWebhook",
    tags=TAGS,
    status_code=201,
)
async def create_organizer_webhook(
    data: WebhookIn, principal: Principal, pool: asyncpg.Pool, settings: Settings
) -> Webhook:
    require_role(principal, "organizer")
    return await service.create_webhook(
        pool, principal, None, data, allow_private=settings.webhook_allow_private
    )


@get("/api/v1/organizer/webhooks", operation_id="listOrganizerWebhooks", tags=TAGS)
async def list_organizer_webhooks(principal: Principal, pool: asyncpg.Pool) -> WebhookList:
    require_role(principal, "organizer")
    return WebhookList(items=await service.list_webhooks(pool, principal, None))


@delete(
    "/api/v1/organizer/webhooks/{webhook_id:uuid}",
    operation_id="deleteOrganizerWebhook",
    tags=TAGS,
    status_code=204,
)
async def delete_organizer_webhook(
    webhook_id: UUID, principal: Principal, pool: asyncpg.Pool
) -> None:
    require_role(principal, "organizer")
    await service.delete_webhook(pool, principal, None, str(webhook_id))


@get(
    "/api/v1/organizer/webhooks/{webhook_id:uuid}/deliveries",
    operation_id="listOrganizerWebhookDeliveries",
    tags=TAGS,
)
async def organizer_webhook_deliveries(
    webhook_id: UUID, principal: Principal, pool: asyncpg.Pool
) -> DeliveryList:
    require_role(principal, "organizer")
    items = await service.webhook_deliveries(pool, principal, None, str(webhook_id))
    return DeliveryList(items=items)


@get(
    "/api/v1/events/{event_id:uuid}/calendar.ics",
    operation_id="getEventCalendar",
    tags=["events"],
    media_type="text/calendar",
    description="The event as an .ics file (RFC 5545): what a fan's 'Add to calendar' opens.",
)
async def event_calendar(
    event_id: UUID, maybe_principal: Principal | None, pool: asyncpg.Pool
) -> Response[bytes]:
    event = await events.get_visible_event(pool, maybe_principal, str(event_id))
    body = event_ics(
        uid=f"event-{event.event_id}@onsale",
        name=event.name,
        venue=event.venue,
        starts_at=event.starts_at,
        description=event.venue,
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="event.ics"',
            "Cache-Control": "public, max-age=300",
        },
    )


@post(
    "/api/v1/events/{event_id:uuid}/webhooks/{webhook_id:uuid}/deliveries/{delivery_id:int}/replay",
    operation_id="replayEventWebhookDelivery",
    tags=TAGS,
    status_code=202,
    description="Send one delivery again, due now with a fresh budget of attempts (the same "
    "delivery id and body); 409 `delivery_in_flight` while a worker is sending it.",
)
async def replay_event_delivery(
    event_id: UUID,
    webhook_id: UUID,
    delivery_id: DeliveryId,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> WebhookDelivery:
    return await _replay(request, principal, pool, str(event_id), str(webhook_id), delivery_id)


@post(
    "/api/v1/organizer/webhooks/{webhook_id:uuid}/deliveries/{delivery_id:int}/replay",
    operation_id="replayOrganizerWebhookDelivery",
    tags=TAGS,
    status_code=202,
    description="The same for a catch-all webhook of the organizer.",
)
async def replay_organizer_delivery(
    webhook_id: UUID,
    delivery_id: DeliveryId,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> WebhookDelivery:
    require_role(principal, "organizer")
    return await _replay(request, principal, pool, None, str(webhook_id), delivery_id)


async def _replay(
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    event_id: str | None,
    webhook_id: str,
    delivery_id: int,
) -> WebhookDelivery:
    delivery, scope = await service.replay_delivery(
        pool, principal, event_id, webhook_id, delivery_id
    )
    await audit.record(
        pool,
        principal,
        "webhook.replay",
        target_type="webhook",
        target_id=webhook_id,
        event_id=scope,
        client_ip=audit_origin(request),
        detail={"delivery_id": delivery_id, "topic": delivery.topic},
    )
    return delivery


ROUTES = [
    event_calendar,
    get_preferences,
    put_preferences,
    create_event_webhook,
    list_event_webhooks,
    delete_event_webhook,
    event_webhook_deliveries,
    create_organizer_webhook,
    list_organizer_webhooks,
    delete_organizer_webhook,
    organizer_webhook_deliveries,
    replay_event_delivery,
    replay_organizer_delivery,
]
