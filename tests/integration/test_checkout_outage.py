"""Finding 4: a checkout while Postgres is down never leaves an authorized card behind, and
the retry after recovery returns the same order_id, readable at once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import asyncpg
import msgspec
import pytest

from app.checkout import service
from app.checkout.schemas import CheckoutIn
from app.core.resources import Resources
from app.core.security import Principal
from app.core.settings import Settings
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans
from tests.support.faults import (
    HttpFaultProxy,
    TcpFaultProxy,
    http_fault_proxy,
    postgres_fault_proxy,
)


@pytest.fixture
def pg_proxy(settings: Settings) -> Iterator[tuple[TcpFaultProxy, str]]:
    with postgres_fault_proxy(settings.database_url) as proxied:
        yield proxied


@pytest.fixture
def stripe_proxy(stripe_base: str) -> Iterator[HttpFaultProxy]:
    with http_fault_proxy(stripe_base) as proxy:
        yield proxy


@pytest.fixture
def settings(
    settings: Settings, stripe_proxy: HttpFaultProxy, pg_proxy: tuple[TcpFaultProxy, str]
) -> Settings:
    """The app reaches Postgres and Stripe only through fault proxies."""
    return msgspec.structs.replace(
        h.with_stripe(settings, stripe_proxy.url), database_url=pg_proxy[1]
    )


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
    before = {
        pi["id"] for pi in h.stripe_get(stripe_base, "/v1/payment_intents", limit=1000)["data"]
    }

    proxy.refuse()
    try:
        r = await h.checkout(api.client, fan, hold_id, payment_method)
    finally:
        proxy.restore()
    assert r.status_code == 503, r.text
    assert r.headers.get("retry-after")
    assert r.json()["code"] == "unavailable"
    # Nobody's money is held by the failed attempt: the checkout's account check (does the
    # event want a verified email?) reads Postgres before anything is asked of Stripe, so
    # nothing was created there. (A PaymentIntent made before Postgres went away is
    # cancelled: test_postgres_gone_after_the_card_was_authorized_voids_the_authorization.)
    created = [
        pi
        for pi in h.stripe_get(stripe_base, "/v1/payment_intents", limit=1000)["data"]
        if pi["id"] not in before and pi["metadata"].get("hold_id") == hold_id
    ]
    assert created == [], [pi["status"] for pi in created]

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


async def test_postgres_gone_after_the_card_was_authorized_voids_the_authorization(
    api: Api,
    settings: Settings,
    resources: Resources,
    stripe_base: str,
    pg_proxy: tuple[TcpFaultProxy, str],
    stripe_proxy: HttpFaultProxy,
) -> None:
    """The journal row was written, the card authorized, then the order cannot be written:
    the authorization is voided and the hold is active again (no money for no order).

    The checkout runs as a task on this loop (the in-process test client finishes one
    request before anything else runs), so Postgres can go away in the middle of it."""
    fan, hold_id = await _postgres_gone_during_a_stripe_call(
        api, settings, resources, stripe_base, pg_proxy[0], stripe_proxy, r"/confirm$"
    )

    r = await h.checkout(api.client, fan, hold_id, "pm_card_visa")
    assert r.status_code == 201, r.text
    assert r.json()["payment_status"] == "requires_capture"
    order = await api.client.get(f"/api/v1/orders/{r.json()['order_id']}", headers=fan.headers)
    assert order.status_code == 200, order.text


async def test_postgres_gone_while_the_payment_intent_was_made_cancels_it(
    api: Api,
    settings: Settings,
    resources: Resources,
    stripe_base: str,
    pg_proxy: tuple[TcpFaultProxy, str],
    stripe_proxy: HttpFaultProxy,
) -> None:
    """The account check read Postgres, the PaymentIntent was created, then its journal row
    cannot be written: the PaymentIntent is cancelled at once (the reconciler would never
    know of it), and the hold is still the fan's to pay."""
    fan, hold_id = await _postgres_gone_during_a_stripe_call(
        api, settings, resources, stripe_base, pg_proxy[0], stripe_proxy, r"/v1/payment_intents$"
    )

    r = await h.checkout(api.client, fan, hold_id, "pm_card_visa")
    assert r.status_code == 201, r.text
    assert r.json()["payment_status"] == "requires_capture"


async def _postgres_gone_during_a_stripe_call(
    api: Api,
    settings: Settings,
    resources: Resources,
    stripe_base: str,
    proxy: TcpFaultProxy,
    stripe_proxy: HttpFaultProxy,
    path: str,
) -> tuple[Any, str]:
    """A checkout whose Stripe call to `path` (a regex) is held up while Postgres goes away:
    the checkout fails, the hold's one PaymentIntent is cancelled and the hold is active
    again. Returns (fan, hold id) for the retry."""
    fan, _, hold_id = await _held(api, settings)
    stripe_proxy.delay_s = 1.0
    stripe_proxy.delay_pattern = re.compile(path)
    attempt = asyncio.ensure_future(
        service.checkout(
            resources,
            Principal(user_id=fan.user_id, roles=("fan",)),
            hold_id,
            CheckoutIn(payment_method="pm_card_visa"),
        )
    )
    while not stripe_proxy.delayed:  # the call is under way: Postgres goes away
        await asyncio.sleep(0.02)
    proxy.refuse()
    try:
        # Connection refused or lost; over HTTP these are 503 with Retry-After.
        with pytest.raises((OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)):
            await attempt
    finally:
        proxy.restore()
        stripe_proxy.delay_s = 0
    created = [
        pi
        for pi in h.stripe_get(stripe_base, "/v1/payment_intents", limit=1000)["data"]
        if (pi.get("metadata") or {}).get("hold_id") == hold_id
    ]
    assert [pi["status"] for pi in created] == ["canceled"]
    got = await api.client.get(f"/api/v1/holds/{hold_id}", headers=fan.headers)
    assert got.json()["status"] == "active"
    return fan, hold_id
