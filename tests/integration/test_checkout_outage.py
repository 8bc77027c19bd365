"""Finding 4: a checkout while Postgres is down never leaves an authorized card behind, and
the retry after recovery returns the same order_id, readable at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from app.core.settings import Settings
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans
from tests.support.faults import TcpFaultProxy, postgres_fault_proxy


@pytest.fixture
def pg_proxy(settings: Settings) -> Iterator[tuple[TcpFaultProxy, str]]:
    with postgres_fault_proxy(settings.database_url) as proxied:
        yield proxied


@pytest.fixture
def settings(settings: Settings, stripe_base: str, pg_proxy: Any) -> Settings:
    """The app reaches Postgres only through the fault proxy."""
    return msgspec.structs.replace(h.with_stripe(settings, stripe_base), database_url=pg_proxy[1])


async def _held(api: Api, settings: Settings) -> tuple[Any, str, str]:
    org = await api.user("organizer")
    event_id = (await api.event(org))["event_id"]
    fan = (await bulk_fans(settings, 1))[0]
    r = await h.hold(api.client, event_id, fan, 2)
    assert r.status_code == 201, r.text
    return fan, event_id, r.json()["hold_id"]


@pytest.mark.parametrize("payment_method", ["pm_card_visa", None])
async def test_checkout_during_a_postgres_outage_then_retry(
    api: Api,
    settings: Settings,
    stripe_base: str,
    pg_proxy: tuple[TcpFaultProxy, str],
    payment_method: str | None,
) -> None:
    proxy, _ = pg_proxy
    fan, event_id, hold_id = await _held(api, settings)
    before = {pi["id"] for pi in h.stripe_get(stripe_base, "/v1/payment_intents")["data"]}

    proxy.refuse()
    try:
        r = await h.checkout(api.client, fan, hold_id, payment_method)
    finally:
        proxy.restore()
    assert r.status_code == 503, r.text
    assert r.headers.get("retry-after")
    assert r.json()["code"] == "unavailable"
    # Whatever the failed attempt created at Stripe, nobody's money is held by it.
    created = [
        pi
        for pi in h.stripe_get(stripe_base, "/v1/payment_intents")["data"]
        if pi["id"] not in before and pi["metadata"].get("hold_id") == hold_id
    ]
    assert all(pi["status"] in ("canceled", "requires_payment_method") for pi in created), [
        pi["status"] for pi in created
    ]

    first = await h.checkout(api.client, fan, hold_id, payment_method)
    assert first.status_code == 201, first.text
    again = await h.checkout(api.client, fan, hold_id, payment_method)
    assert again.status_code == 201, again.text
    assert again.json()["order_id"] == first.json()["order_id"]
    order = await api.client.get(f"/api/v1/orders/{first.json()['order_id']}", headers=fan.headers)
    assert order.status_code == 200, order.text
    assert order.json()["status"] == "pending"
    counts = await h.db_counts(settings.database_url, event_id)
    assert counts["orders"] == 1
