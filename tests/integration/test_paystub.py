"""The bench's payment stand-in speaks what Onsale's gateway uses, and waits without serializing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from app.core.settings import Settings
from app.payments.gateway import Gateway
from devtools.bench import paystub

DELAY_MS = 200


@pytest.fixture
async def stub_base() -> AsyncIterator[str]:
    server = paystub.Server(DELAY_MS)
    listener = await asyncio.start_server(server.connection, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        listener.close()
        await listener.wait_closed()


async def test_the_gateway_authorizes_captures_and_cancels_through_the_stand_in(
    stub_base: str,
) -> None:
    gateway = Gateway(Settings(stripe_api_base=stub_base))
    pi = await gateway.create_intent(
        amount_cents=9800, currency="EUR", metadata={"hold_id": "h1"}, idempotency_key="k-1"
    )
    assert (pi.status, pi.amount, pi.currency, pi.metadata) == (
        "requires_payment_method",
        9800,
        "EUR",
        {"hold_id": "h1"},
    )
    again = await gateway.create_intent(
        amount_cents=9800, currency="EUR", metadata={"hold_id": "h1"}, idempotency_key="k-1"
    )
    assert again.id == pi.id  # a replayed Idempotency-Key gets the first answer
    assert (await gateway.confirm_with(pi.id, "pm_card_visa", "a1")).status == "requires_capture"
    assert (await gateway.retrieve(pi.id)).status == "requires_capture"
    assert (await gateway.capture(pi.id)).status == "succeeded"
    assert (await gateway.capture(pi.id)).status == "succeeded"  # a second capture: no-op
    assert await gateway.void_or_refund(pi.id, "r-1") == "refunded"

    other = await gateway.create_intent(
        amount_cents=100, currency="EUR", metadata={}, idempotency_key="k-2"
    )
    assert (await gateway.cancel(other.id)).status == "canceled"
    assert (await gateway.cancel(other.id)).status == "canceled"


async def test_calls_wait_their_delay_side_by_side(stub_base: str) -> None:
    async with httpx.AsyncClient(base_url=stub_base, timeout=30) as client:
        created = await client.post("/v1/payment_intents", data={"amount": "100"})
        pi_id = msgspec.json.decode(created.content)["id"]
        started = time.perf_counter()
        replies = await asyncio.gather(
            *(client.get(f"/v1/payment_intents/{pi_id}") for _ in range(100))
        )
        elapsed = time.perf_counter() - started
    assert all(r.status_code == 200 for r in replies)
    # One after another they take at least 100 x the delay (20 s) however idle the machine;
    # side by side, under half of that even when the client's and the stand-in's own work
    # per call is slowed by a busy machine (6 s seen at load average 8 on 2 cores).
    serial_at_least = 100 * DELAY_MS / 1000
    assert DELAY_MS / 1000 <= elapsed < serial_at_least / 2, elapsed
