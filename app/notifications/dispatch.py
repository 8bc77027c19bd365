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
    """Dispatch up to `batch` undispatched messages; how many. A batch costs a handful of
    statements whatever its size (recipients, orders' events, endpoints, deliveries, marks),
    not several per message: every confirmed order passes through here."""
    on = channels_on(settings)
    async with pool.acquire() as conn, conn.transaction():
        rows = await repo.claim_outbox(conn, batch)
        if not rows:
            return 0
        deliveries, sold_out = await _fan_out(conn, rows, on)
        await repo.insert_deliveries(conn, deliveries)
        # The order that sold the last seat announces sale.sold_out (once per event).
        for event_id in sorted(sold_out):
            await repo.insert_sold_out(conn, event_id)
        await repo.mark_dispatched(conn, [row["message_id"] for row in rows])
    return len(rows)


async def _fan_out(
    conn: asyncpg.Connection, rows: list[asyncpg.Record], on: set[str]
) -> tuple[list[repo.Delivery], set[str]]:
    """Each message's deliveries, in message order (fan channels, then webhooks), and the
    events whose sold-out check is due."""
    payloads: list[tuple[int, str, dict[str, Any]]] = [
        (row["message_id"], row["kind"], row["payload"]) for row in rows
    ]
    fans = await repo.recipients(
        conn,
        list(
            {
                uuid.UUID(str(p["user_id"]))
                for _, kind, p in payloads
                if kind in kinds.FAN_KINDS and p.get("user_id")
            }
        ),
    )
    wanted_orders = {
        str(p["order_id"])
        for _, kind, p in payloads
        if kind in kinds.TOPIC_OF_KIND and not p.get("event_id") and p.get("order_id")
    }
    order_events = (
        await repo.events_of_orders(conn, [uuid.UUID(o) for o in wanted_orders])
        if wanted_orders
        else {}
    )
    topics: list[tuple[int, str, str | None, str]] = []  # message, kind, event, topic
    for message_id, kind, p in payloads:
        topic = kinds.TOPIC_OF_KIND.get(kind)
        if topic is None:
            continue
        event_id = p.get("event_id") or order_events.get(str(p.get("order_id") or ""))
        topics.append((message_id, kind, str(event_id) if event_id else None, topic))
    pairs = sorted({(event_id, topic) for _, _, event_id, topic in topics if event_id})
    endpoints = await repo.endpoints_for_topics(conn, pairs) if pairs else {}

    deliveries: list[repo.Delivery] = []
    sold_out: set[str] = set()
    webhooks = {message_id: (kind, event_id, topic) for message_id, kind, event_id, topic in topics}
    for message_id, kind, p in payloads:
        if kind in kinds.FAN_KINDS and p.get("user_id"):
            fan = fans.get(uuid.UUID(str(p["user_id"])))
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
                        deliveries.append((message_id, channel, target, None, locale))
        if kind == kinds.ORG_INVITATION and p.get("email") and "email" in on:
            deliveries.append(
                (message_id, "email", str(p["email"]), None, i18n.choose(str(p.get("locale"))))
            )
        if message_id not in webhooks:
            continue
        _, event_id, topic = webhooks[message_id]
        if event_id is None:
            continue
        for endpoint_id in endpoints.get((event_id, topic), []):
            deliveries.append((message_id, "webhook", str(endpoint_id), endpoint_id, i18n.DEFAULT))
        if kind == kinds.ORDER_CONFIRMED:
            sold_out.add(event_id)
    return deliveries, sold_out
