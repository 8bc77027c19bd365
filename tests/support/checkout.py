"""Helpers of the checkout/payment tests: holds through the real API, Stripe as the app sees it,
signed webhook replays, waiting for the worker."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import httpx
import stripe
from arq.constants import health_check_key_suffix

from app.core import keys
from app.core.settings import Settings
from devtools.embedded import register_webhook
from tests.support.api import User
from tests.support.redis_clients import connect_sync

T = TypeVar("T")
STRIPE_AUTH = {"Authorization": "Bearer sk_test_onsale_local"}


def with_stripe(settings: Settings, stripe_base: str, **extra: Any) -> Settings:
    import msgspec

    return msgspec.structs.replace(settings, stripe_api_base=stripe_base, **extra)


async def admit(client: Any, event_id: str, fan: User, *, closed_ok: bool = False) -> str | None:
    """Join the queue of an event without a waiting room: admitted at once; the token.

    None when the queue is closed because the event sold out (only with closed_ok).
    """
    r = await client.post(f"/api/v1/events/{event_id}/queue", headers=fan.headers)
    assert r.status_code in (200, 201), r.text
    body = r.json()
    if closed_ok and body["state"] == "closed":
        return None
    assert body["state"] == "admitted", body
    token: str = body["admission_token"]
    return token


async def hold(
    client: Any, event_id: str, fan: User, quantity: int = 2, section: str = "FLOOR"
) -> httpx.Response:
    token = await admit(client, event_id, fan)
    return await hold_with(client, event_id, fan, token or "", quantity, section)


async def hold_with(
    client: Any, event_id: str, fan: User, token: str, quantity: int = 2, section: str = "FLOOR"
) -> httpx.Response:
    response: httpx.Response = await client.post(
        f"/api/v1/events/{event_id}/holds",
        json={"section": section, "quantity": quantity},
        headers={**fan.headers, "X-Admission-Token": token, "Idempotency-Key": uuid.uuid4().hex},
    )
    return response


async def checkout(
    client: Any, fan: User, hold_id: str, payment_method: str | None = "pm_card_visa"
) -> httpx.Response:
    body = {"payment_method": payment_method} if payment_method else {}
    response: httpx.Response = await client.post(
        f"/api/v1/holds/{hold_id}/checkout",
        json=body,
        headers={**fan.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    return response


# --- Stripe (localstripe) as the mobile SDK and as the test's eyes ----------------------------
async def paid_by_worker(
    client: Any, fan: User, hold_id: str, timeout: float = 60
) -> dict[str, Any]:
    """The hold paid with the test card; the order once a running worker confirmed it
    (bounded)."""
    r = await checkout(client, fan, hold_id)
    assert r.status_code == 201, r.text
    order_id = r.json()["order_id"]

    async def read() -> dict[str, Any]:
        got = await client.get(f"/api/v1/orders/{order_id}", headers=fan.headers)
        body: dict[str, Any] = got.json()
        return body

    order = await eventually(read, lambda o: o.get("status") == "confirmed", timeout=timeout)
    assert order["status"] == "confirmed", order
    return order


def stripe_get(stripe_base: str, path: str, **params: Any) -> Any:
    r = httpx.get(f"{stripe_base}{path}", params=params, headers=STRIPE_AUTH, timeout=10)
    r.raise_for_status()
    return r.json()


def stripe_post(stripe_base: str, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.post(f"{stripe_base}{path}", data=data or {}, headers=STRIPE_AUTH, timeout=10)


def intent(stripe_base: str, pi_id: str) -> dict[str, Any]:
    result: dict[str, Any] = stripe_get(stripe_base, f"/v1/payment_intents/{pi_id}")
    return result


def confirm_as_app(
    stripe_base: str, pi_id: str, payment_method: str = "pm_card_visa"
) -> dict[str, Any]:
    """What the mobile SDK does with client_secret: attach a card and confirm."""
    stripe_post(stripe_base, f"/v1/payment_intents/{pi_id}", {"payment_method": payment_method})
    r = stripe_post(stripe_base, f"/v1/payment_intents/{pi_id}/confirm")
    result: dict[str, Any] = r.json()
    return result


def card_method(stripe_base: str, number: str) -> str:
    """A card PaymentMethod as Stripe.js makes one (localstripe's 3-D Secure test cards, such
    as 4000002760003184, answer a confirm with requires_action)."""
    r = stripe_post(
        stripe_base,
        "/v1/payment_methods",
        {
            "type": "card",
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
        },
    )
    r.raise_for_status()
    method: str = r.json()["id"]
    return method


def card_token(stripe_base: str, number: str) -> str:
    """A tokenized card as the fan app's Stripe.js makes one with createToken (the card's id,
    which the app sends as the payment method: no PaymentMethod, nothing attached)."""
    r = stripe_post(
        stripe_base,
        "/v1/tokens",
        {
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
        },
    )
    r.raise_for_status()
    card: str = r.json()["card"]["id"]
    return card


def authenticate_as_app(
    stripe_base: str, pi_id: str, client_secret: str, *, success: bool
) -> dict[str, Any]:
    """The fan completing (or failing) the bank's 3-D Secure step, as the stand-in's
    confirmCardPayment does it."""
    r = httpx.post(
        f"{stripe_base}/v1/payment_intents/{pi_id}/_authenticate",
        params={"success": "true" if success else "false"},
        data={"key": "pk_test_onsale_local", "client_secret": client_secret},
        timeout=10,
    )
    r.raise_for_status()
    result: dict[str, Any] = r.json()
    return result


def captures(stripe_base: str, pi_id: str) -> int:
    """Captured charges of this PaymentIntent (Stripe allows at most one capture per charge;
    a second capture attempt is refused, so a double capture would surface as a job error)."""
    pi = intent(stripe_base, pi_id)
    charge = pi.get("latest_charge")
    if isinstance(charge, dict):
        charge = charge.get("id")
    if not charge:
        return 0
    data = stripe_get(stripe_base, f"/v1/charges/{charge}")
    return 1 if data.get("captured") and data.get("status") == "succeeded" else 0


def refunds_of(stripe_base: str, pi_id: str) -> int:
    data = stripe_get(stripe_base, "/v1/refunds", payment_intent=pi_id, limit=100)["data"]
    return len(data)


async def refunds_paid(stripe_base: str, pi_id: str, amounts: list[int]) -> list[int]:
    """The amounts refunded on a PaymentIntent once they are `amounts` (a worker pays them;
    bounded wait), else as they are at the bound."""

    async def read() -> list[int]:
        data = stripe_get(stripe_base, "/v1/refunds", payment_intent=pi_id)["data"]
        return [int(x["amount"]) for x in data]

    return await eventually(read, lambda x: x == amounts, timeout=30)


def signed_event(
    secret: str,
    event_type: str,
    obj: dict[str, Any],
    *,
    event_id: str | None = None,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A Stripe event body and its Stripe-Signature header (HMAC-SHA256 of "t.payload")."""
    body = json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return body.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


async def deliver(client: Any, body: bytes, headers: dict[str, str]) -> httpx.Response:
    response: httpx.Response = await client.post(
        "/api/v1/webhooks/stripe", content=body, headers=headers
    )
    return response


def register(stripe_base: str, base_url: str, settings: Settings) -> None:
    register_webhook(
        stripe_base, f"{base_url}/api/v1/webhooks/stripe", settings.stripe_webhook_secret
    )


def free_arq_lease(settings: Settings, job_id: str, *, max_lease_s: float = 40) -> None:
    """What time does to a dead worker's job lease (arq in-progress key): another may run it.

    Asserts first that the lease would indeed run out by itself within
    `max_lease_s` (every job's timeout is kept short for this), so skipping
    the wait stands in for seconds, not for a retry that never comes.
    """
    client = connect_sync(settings.jobs_url())
    try:
        ttl_ms = client.pttl(f"arq:in-progress:{job_id}")
        assert ttl_ms == -2 or 0 < ttl_ms <= max_lease_s * 1000, f"lease of {ttl_ms} ms"
        client.delete(f"arq:in-progress:{job_id}")
    finally:
        client.close()


async def worker_ready(settings: Settings, timeout: float = 30) -> None:
    """Wait (bounded) until an `onsale worker` polls its queue: arq writes its health-check
    key on its first poll, after its startup hook has run."""
    client = connect_sync(settings.jobs_url())
    key = keys.ARQ_QUEUE + health_check_key_suffix
    deadline = time.monotonic() + timeout
    try:
        while not client.exists(key):
            assert time.monotonic() < deadline, f"no worker polled within {timeout} s"
            await asyncio.sleep(0.05)
    finally:
        client.close()


async def blocked_on_a_lock(database_url: str, timeout: float = 30) -> None:
    """Wait (bounded) until some session of this database waits for a row or table lock:
    the moment a test that holds a lock means to catch, however busy the machine is."""
    conn = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + timeout
        while not await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ):
            assert time.monotonic() < deadline, f"nothing waited for a lock within {timeout} s"
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


async def eventually(
    probe: Callable[[], Awaitable[T]],
    ok: Callable[[T], bool],
    timeout: float = 15,
    every: float = 0.1,
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if ok(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(every)


async def db_counts(database_url: str, event_id: str) -> dict[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        ev = uuid.UUID(event_id)
        row = await conn.fetchrow(
            """
            SELECT (SELECT count(*) FROM orders WHERE event_id = $1) AS orders,
                   (SELECT count(*) FROM orders
                     WHERE event_id = $1 AND status = 'confirmed') AS confirmed,
                   (SELECT count(*) FROM orders
                     WHERE event_id = $1 AND status = 'cancelled') AS cancelled,
                   (SELECT count(*) FROM tickets WHERE event_id = $1) AS tickets,
                   (SELECT count(*) FROM payments p JOIN orders o USING (order_id)
                     WHERE o.event_id = $1) AS payments,
                   (SELECT count(*) FROM payments p JOIN orders o USING (order_id)
                     WHERE o.event_id = $1 AND p.status = 'captured') AS captured,
                   (SELECT coalesce(sum(sold), 0) FROM sections WHERE event_id = $1) AS sold,
                   (SELECT count(*) FROM sections WHERE event_id = $1 AND sold > capacity) AS over
            """,
            ev,
        )
        return {k: int(v) for k, v in dict(row).items()}
    finally:
        await conn.close()


def inventory(settings: Settings, event_id: str, section: str = "FLOOR") -> dict[str, int]:
    from app.core import keys

    client = connect_sync(settings.redis_url)
    try:
        raw = client.hgetall(keys.inventory(event_id))
    finally:
        client.close()
    return {f: int(raw.get(f"{section}:{f}", 0)) for f in ("capacity", "available", "held", "sold")}
