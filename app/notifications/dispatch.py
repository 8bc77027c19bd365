"""The outbox dispatched into deliveries: one per channel and recipient, in one transaction.

A message's deliveries and its `dispatched_at` commit together, and every delivery is
unique per (message, channel, target), so a dispatcher that dies halfway leaves the
message to the next one and nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import asyncpg

from app.core import i18n
from app.core.settings import Settings
from app.notifications import kinds, repo

log = logging.getLogger("onsale.notifications")

BATCH = 200


def channels_on(settings: Settings) -> set[str]:
    """Channels with somewhere to send to (a channel without one is not dispatched)."""
    on = {"webhook"}
    if settings.smtp_url:
        on.add("email")
    if settings.sms_url:
        on.add("sms")
    if settings.push_url:
        on.add("push")
    return on


async def dispatch(pool: asyncpg.Pool, settings: Settings, batch: int = BATCH) -> int:
    """Dispatch up to `batch` undispatched messages; how many."""
    on = channels_on(settings)
    async with pool.acquire() as conn, conn.transaction():
        rows = await repo.claim_outbox(conn, batch)
        for row in rows:
            await _fan_out(conn, row["message_id"], row["kind"], row["payload"], on)
            await repo.mark_dispatched(conn, row["message_id"])
    return len(rows)


async def _fan_out(
    conn: asyncpg.Connection, message_id: int, kind: str, payload: dict[str, Any], on: set[str]
) -> None:
    if kind in kinds.FAN_KINDS and payload.get("user_id"):
        fan = await repo.recipient(conn, str(payload["user_id"]))
        if fan is not None:
            locale = i18n.choose(fan["locale"])
            targets = [
                ("email", fan["email"] if fan["want_email"] else None),
                ("sms", fan["phone"] if fan["want_sms"] else None),
                ("push", fan["push_token"] if fan["want_push"] else None),
            ]
            if kind in kinds.ACCOUNT_KINDS:
                # A link that opens the account goes to its address only, always.
                targets = [("email", fan["email"])]
            for channel, target in targets:
                if target and channel in on:
                    await repo.insert_delivery(
                        conn,
                        message_id=message_id,
                        channel=channel,
                        target=target,
                        endpoint_id=None,
                        locale=locale,
                    )
    topic = kinds.TOPIC_OF_KIND.get(kind)
    if topic is None:
        return
    event_id = payload.get("event_id")
    if not event_id and payload.get("order_id"):
        event_id = await repo.event_of_order(conn, str(payload["order_id"]))
    if not event_id:
        return
    for endpoint in await repo.endpoints_for_topic(conn, str(event_id), topic):
        endpoint_id: uuid.UUID = endpoint["endpoint_id"]
        await repo.insert_delivery(
            conn,
            message_id=message_id,
            channel="webhook",
            target=str(endpoint_id),
            endpoint_id=endpoint_id,
            locale=i18n.DEFAULT,
        )
    if kind == kinds.ORDER_CONFIRMED:
        # The order that sold the last seat announces sale.sold_out (once per event).
        await repo.insert_sold_out(conn, str(event_id))
