"""Sending deliveries: claimed under a lease, sent, then marked sent, retried with
exponential backoff, or dead-lettered after `notify_max_attempts` tries.

A delivery is claimed by one UPDATE ... FOR UPDATE SKIP LOCKED that sets `sending` and a
lease, so two workers never send it at the same time. A worker killed mid-send leaves
the claim to lapse; the next claim sends it again with the same delivery id, which is
the Message-ID of an email, the Idempotency-Key of an SMS/push call and the
`Onsale-Delivery` of a webhook: receivers that deduplicate on it see it once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import msgspec

from app.core.metrics import NOTIFICATION_DEAD, NOTIFICATIONS
from app.core.settings import Settings
from app.notifications import content, kinds, repo
from app.notifications.destinations import PrivateDestination, check_public
from app.notifications.email import SmtpTarget, build_email, send_email
from app.notifications.providers import (
    Notice,
    Provider,
    SendFailed,
    SignedHttpProvider,
    post_signed,
)

log = logging.getLogger("onsale.notifications")

# A claim's sends finish well within the lease and the job timeout (30 s): at most
# CLAIM_BATCH / CONCURRENCY rounds of one send timeout each.
CLAIM_BATCH = 20
CONCURRENCY = 10
# A tick keeps claiming while work is due for about this long.
BUDGET_S = 8.0
# Share of a claim's lease within which its send must start (the send timeout is the rest).
LEASE_USE = 0.5
MAX_BACKOFF_S = 3600.0


def backoff_s(base: float, attempts: int) -> float:
    """base, 2 base, 4 base ... capped at an hour, with +-20 % jitter against herds."""
    delay: float = min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S)
    return delay * random.uniform(0.8, 1.2)  # jitter, not a secret


def provider_secret(settings: Settings) -> str:
    return settings.provider_secret or settings.secret_key


class WebhookBody(msgspec.Struct, frozen=True):
    """What an integrator receives (the shape of every topic)."""

    id: str
    type: str
    created_at: datetime
    data: dict[str, Any]


def webhook_data(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    # Ticket codes are bearer credentials: they go to the fan, not to integrators.
    return {k: v for k, v in payload.items() if k != "ticket_codes"}


class Sender:
    """Sends due deliveries of every channel (one per worker process)."""

    def __init__(self, settings: Settings, pool: asyncpg.Pool, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.pool = pool
        self.client = client
        self.smtp = SmtpTarget(settings.smtp_url) if settings.smtp_url else None
        secret = provider_secret(settings)
        self.providers: dict[str, Provider] = {}
        if settings.sms_url:
            self.providers["sms"] = SignedHttpProvider(client, settings.sms_url, secret)
        if settings.push_url:
            self.providers["push"] = SignedHttpProvider(client, settings.push_url, secret)
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self._running = asyncio.Lock()
        if settings.notify_send_timeout_s > (1 - LEASE_USE) * settings.notify_lease_s:
            log.warning(
                "ONSALE_NOTIFY_SEND_TIMEOUT_S (%s) exceeds half of ONSALE_NOTIFY_LEASE_S (%s): "
                "a slow send may outlive its lease and be sent again by another worker",
                settings.notify_send_timeout_s,
                settings.notify_lease_s,
            )
        # Every series exists from the start, so rates and alerts see the first failure.
        for channel in kinds.CHANNELS:
            for outcome in ("sent", "retry", "dead"):
                NOTIFICATIONS.labels(channel, outcome)

    async def run_once(self, limit: int = CLAIM_BATCH, budget_s: float = BUDGET_S) -> int:
        """Claim and send due deliveries, `limit` at a time, until none is due or the time
        budget is spent; how many were claimed."""
        if self._running.locked():
            # The previous tick of this process is still sending: claiming more now would
            # only queue them behind it while their leases run down.
            return 0
        async with self._running:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + budget_s
            total = 0
            while True:
                claimed_at = loop.time()
                rows = await repo.claim_deliveries(self.pool, limit, self.settings.notify_lease_s)
                # A row is sent only while most of its lease is left; past that it is left
                # to lapse and be claimed again, never sent by two workers at once.
                send_by = claimed_at + LEASE_USE * self.settings.notify_lease_s
                await asyncio.gather(*(self._one(row, send_by) for row in rows))
                total += len(rows)
                if len(rows) < limit or loop.time() > deadline:
                    return total

    async def refresh_dead_gauge(self) -> dict[str, int]:
        dead = await repo.dead_deliveries(self.pool)
        for channel in kinds.CHANNELS:
            NOTIFICATION_DEAD.labels(channel).set(dead.get(channel, 0))
        return dead

    async def _one(self, row: asyncpg.Record, send_by: float) -> None:
        channel = row["channel"]
        async with self._limit:
            if asyncio.get_running_loop().time() > send_by:
                log.warning("delivery %s: lease nearly over before sending", row["delivery_id"])
                return
            try:
                status = await self._send(row)
            except Exception as exc:
                status_code = exc.status if isinstance(exc, SendFailed) else None
                permanent = isinstance(exc, content.Gone)
                outcome = await repo.delivery_failed(
                    self.pool,
                    row["delivery_id"],
                    max_attempts=1 if permanent else self.settings.notify_max_attempts,
                    retry_in_s=backoff_s(self.settings.notify_backoff_s, row["attempts"]),
                    error=f"{type(exc).__name__}: {exc}",
                    response_status=status_code,
                )
                if outcome == "dead":
                    NOTIFICATIONS.labels(channel, "dead").inc()
                    log.error(
                        "delivery %s (%s) dead after %d attempts: %s",
                        row["delivery_id"],
                        channel,
                        row["attempts"],
                        exc,
                    )
                else:
                    NOTIFICATIONS.labels(channel, "retry").inc()
                    log.warning(
                        "delivery %s (%s) attempt %d failed: %s",
                        row["delivery_id"],
                        channel,
                        row["attempts"],
                        exc,
                    )
                return
        await repo.delivery_sent(self.pool, row["delivery_id"], status)
        NOTIFICATIONS.labels(channel, "sent").inc()

    async def _send(self, row: asyncpg.Record) -> int | None:
        channel: str = row["channel"]
        if channel == "webhook":
            return await self._webhook(row)
        payload: dict[str, Any] = row["payload"]
        # An invitation may go to an address with no account: no name to greet.
        fan = (
            await repo.recipient(self.pool, str(payload["user_id"]))
            if payload.get("user_id")
            else None
        )
        name = fan["name"] if fan is not None else ""
        message = await content.build(
            self.pool,
            row["kind"],
            payload,
            row["locale"],
            name,
            secret=self.settings.secret_key,
            public_url=self.settings.public_url,
        )
        if channel == "email":
            if self.smtp is None:
                raise SendFailed("ONSALE_SMTP_URL is not set")
            # QR encoding is pure Python (~40 ms a ticket, mostly segno's mask choice): off
            # the event loop, so the worker's other jobs keep their latency.
            msg = await asyncio.to_thread(
                build_email,
                message,
                to=row["target"],
                mail_from=self.settings.mail_from,
                locale=row["locale"],
                delivery_id=row["delivery_id"],
            )
            await send_email(self.smtp, msg, self.settings.notify_send_timeout_s)
            return None
        provider = self.providers.get(channel)
        if provider is None:
            raise SendFailed(f"no provider for {channel}")
        return await provider.send(
            Notice(
                delivery_id=row["delivery_id"],
                channel=channel,
                to=row["target"],
                title=message.subject,
                body=message.short,
                kind=row["kind"],
                locale=row["locale"],
            )
        )

    async def _webhook(self, row: asyncpg.Record) -> int:
        endpoint = await repo.endpoint_secret(self.pool, row["endpoint_id"])
        if endpoint is None or not endpoint["active"]:
            raise content.Gone("webhook endpoint removed or disabled")
        if not self.settings.webhook_allow_private:
            try:
                await check_public(endpoint["url"])
            except PrivateDestination as exc:
                # Permanent: retrying would not make the address public.
                raise content.Gone(f"refused: {exc}") from None
        body = msgspec.json.encode(
            WebhookBody(
                id=f"msg_{row['message_id']}",
                type=kinds.TOPIC_OF_KIND[row["kind"]],
                created_at=row["created_at"],
                data=webhook_data(row["kind"], row["payload"]),
            )
        )
        return await post_signed(
            self.client,
            endpoint["url"],
            endpoint["secret"],
            body,
            {
                "Onsale-Delivery": str(row["delivery_id"]),
                "Onsale-Event-Id": f"msg_{row['message_id']}",
            },
        )
