"""Finding 9: the checkout sweeper settles a wave of abandoned checkouts concurrently, so
their seats come back in a few Stripe round trips rather than one checkout at a time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from app.checkout import sweeper
from app.core.resources import Resources
from app.core.settings import Settings
from app.holds.scripts import hold_scripts
from tests.support import checkout as h
from tests.support.api import Api, bulk_fans
from tests.support.faults import HttpFaultProxy, http_fault_proxy

CHECKOUTS = 40
STRIPE_LATENCY_S = 0.2  # per call; settling one abandoned checkout takes two (read, cancel)


@pytest.fixture
def slow_stripe(stripe_base: str) -> Iterator[HttpFaultProxy]:
    with http_fault_proxy(stripe_base) as proxy:
        yield proxy


@pytest.fixture
def settings(settings: Settings, slow_stripe: HttpFaultProxy) -> Settings:
    return h.with_stripe(settings, slow_stripe.url)


async def test_a_wave_of_abandoned_checkouts_is_settled_concurrently(
    api: Api, settings: Settings, resources: Resources, slow_stripe: HttpFaultProxy
) -> None:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 1000, "capacity": 100}]
    ev = (await api.event(org, sections=sections))["event_id"]
    fans = await bulk_fans(settings, CHECKOUTS + 1)
    scripts = hold_scripts(resources.scripts)

    async def abandon(fan: Any) -> None:
        r = await h.hold(api.client, ev, fan, 1)
        hold_id = r.json()["hold_id"]
        checkout = (await h.checkout(api.client, fan, hold_id, None)).json()
        # Abandoned: the deadline is now.
        assert await scripts.extend_checkout(ev, hold_id, checkout["payment_intent_id"], 1)

    async def timed_sweep() -> tuple[dict[str, int], float]:
        started = time.monotonic()
        outcomes = await sweeper.sweep_all(resources)
        return outcomes, time.monotonic() - started

    # The baseline, under the machine's present load: one abandoned checkout alone.
    slow_stripe.delay_s = STRIPE_LATENCY_S
    await abandon(fans[0])
    one, single = await timed_sweep()
    assert one == {"expired": 1}

    for fan in fans[1:]:
        await abandon(fan)
    assert h.inventory(settings, ev)["held"] == CHECKOUTS
    outcomes, elapsed = await timed_sweep()
    assert outcomes == {"expired": CHECKOUTS}
    assert h.inventory(settings, ev) == {"capacity": 100, "available": 100, "held": 0, "sold": 0}
    # One at a time would take CHECKOUTS x the single sweep (>= 40 x 2 x 0.2 s = 16 s). Side
    # by side they take a few single sweeps; a third of the sequential time is the bound,
    # and a busy machine stretches the baseline with it.
    sequential = CHECKOUTS * single
    assert elapsed < sequential / 3, f"{elapsed:.1f} s for {CHECKOUTS}, {single:.2f} s for one"
