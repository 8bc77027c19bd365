"""Fans' channel preferences and organizers' integrator webhooks (configure, list, log)."""

from __future__ import annotations

import secrets
from typing import Any

import asyncpg

from app.core.errors import AppError, invalid, not_found
from app.core.i18n import N_
from app.core.ids import is_uuid, new_id
from app.core.security import Principal
from app.events.service import get_managed_event
from app.notifications import kinds, repo
from app.notifications.destinations import PrivateDestination, check_public
from app.notifications.schemas import (
    Preferences,
    Webhook,
    WebhookDelivery,
    WebhookIn,
)

DELIVERY_LOG_LIMIT = 200


async def preferences(pool: asyncpg.Pool, user_id: str) -> Preferences:
    row = await repo.prefs_of_user(pool, user_id)
    if row is None:
        raise not_found("User")
    return Preferences(
        email=row["email"],
        sms=row["sms"],
        push=row["push"],
        phone=row["phone"],
        push_token=row["push_token"],
    )


async def set_preferences(pool: asyncpg.Pool, user_id: str, data: Preferences) -> Preferences:
    if data.sms and not data.phone:
        raise invalid("phone", "required when sms is on")
    if data.push and not data.push_token:
        raise invalid("push_token", "required when push is on")
    await repo.upsert_prefs(
        pool,
        user_id,
        email=data.email,
        sms=data.sms,
        push=data.push,
        phone=data.phone,
        push_token=data.push_token,
    )
    return await preferences(pool, user_id)


def _webhook(row: Any, *, with_secret: bool = False) -> Webhook:
    return Webhook(
        webhook_id=str(row["endpoint_id"]),
        event_id=str(row["event_id"]) if row["event_id"] else None,
        url=row["url"],
        topics=list(row["topics"]),
        active=row["active"],
        created_at=row["created_at"],
        secret=row["secret"] if with_secret else None,
    )


async def create_webhook(
    pool: asyncpg.Pool,
    principal: Principal,
    event_id: str | None,
    data: WebhookIn,
    *,
    allow_private: bool = False,
) -> Webhook:
    if event_id is not None:
        await get_managed_event(pool, principal, event_id, need="edit")
    if not allow_private:
        try:
            await check_public(data.url)
        except PrivateDestination as exc:
            raise invalid("url", f"must reach a public address: {exc}") from None
    topics: list[str] = sorted(set(data.topics))
    assert set(topics) <= kinds.TOPICS
    row = await repo.insert_endpoint(
        pool,
        endpoint_id=new_id(),
        organizer_id=principal.user_id,
        event_id=event_id,
        url=data.url,
        secret="whsec_" + secrets.token_urlsafe(32),
        topics=topics,
    )
    return _webhook(row, with_secret=True)


async def list_webhooks(
    pool: asyncpg.Pool, principal: Principal, event_id: str | None
) -> list[Webhook]:
    if event_id is not None:
        await get_managed_event(pool, principal, event_id, need="read")
        rows = await repo.endpoints_of_event(pool, event_id)
    else:
        rows = await repo.endpoints_of_organizer(pool, principal.user_id)
    return [_webhook(row) for row in rows]


async def _owned(
    pool: asyncpg.Pool,
    principal: Principal,
    event_id: str | None,
    webhook_id: str,
    *,
    need: str = "edit",
) -> Any:
    """The endpoint, if it belongs to this event (or the caller's catch-all); else 404. For an
    event's webhook the caller's role in its organization must allow `need`."""
    if event_id is not None:
        await get_managed_event(pool, principal, event_id, need=need)
    row = await repo.endpoint_by_id(pool, webhook_id) if is_uuid(webhook_id) else None
    if row is None:
        raise not_found("Webhook")
    if event_id is not None and str(row["event_id"]) != event_id:
        raise not_found("Webhook")
    if event_id is None and (
        row["event_id"] is not None
        or (str(row["organizer_id"]) != principal.user_id and not principal.has("admin"))
    ):
        raise not_found("Webhook")
    return row


async def delete_webhook(
    pool: asyncpg.Pool, principal: Principal, event_id: str | None, webhook_id: str
) -> None:
    await _owned(pool, principal, event_id, webhook_id, need="edit")
    await repo.delete_endpoint(pool, webhook_id)


def _delivery(row: Any) -> WebhookDelivery:
    return WebhookDelivery(
        delivery_id=row["delivery_id"],
        topic=kinds.TOPIC_OF_KIND[row["kind"]],
        status=row["status"],
        attempts=row["attempts"],
        response_status=row["response_status"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
    )


async def webhook_deliveries(
    pool: asyncpg.Pool, principal: Principal, event_id: str | None, webhook_id: str
) -> list[WebhookDelivery]:
    await _owned(pool, principal, event_id, webhook_id, need="read")
    rows = await repo.deliveries_of_endpoint(pool, webhook_id, DELIVERY_LOG_LIMIT)
    return [_delivery(row) for row in rows]


async def replay_delivery(
    pool: asyncpg.Pool,
    principal: Principal,
    event_id: str | None,
    webhook_id: str,
    delivery_id: int,
) -> tuple[WebhookDelivery, str | None]:
    """Send one delivery of the caller's webhook again (the same delivery id and body, so a
    receiver that keeps ids sees the same event): due now with a fresh budget of attempts.
    Returns it and the event the webhook belongs to (None: a catch-all). 404 when it is not a
    delivery of this webhook; 409 `delivery_in_flight` while a worker is sending it."""
    endpoint = await _owned(pool, principal, event_id, webhook_id, need="edit")
    if not await repo.replay_delivery(pool, webhook_id, delivery_id):
        if await repo.delivery_of_endpoint(pool, webhook_id, delivery_id) is None:
            raise not_found("Delivery")
        raise AppError(
            "delivery_in_flight",
            409,
            "Delivery in flight",
            N_("This delivery is being sent right now; look again in a moment"),
        )
    row = await repo.delivery_of_endpoint(pool, webhook_id, delivery_id)
    if row is None:  # the webhook was deleted in between
        raise not_found("Delivery")
    scope = str(endpoint["event_id"]) if endpoint["event_id"] else None
    return _delivery(row), scope
