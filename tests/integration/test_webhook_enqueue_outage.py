"""The jobs' Redis down when a webhook arrives: 503, the delivery is forgotten, and Stripe's
retry (once Redis is back) queues the finalize job. The API reaches the jobs' Redis through a
TCP fault proxy that refuses connections, as a Redis that went away does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import msgspec
import pytest

from app.core.settings import Settings
from tests.integration.test_webhook_jobs import _event, _queued
from tests.support import checkout as h
from tests.support.api import Api
from tests.support.faults import TcpFaultProxy


@pytest.fixture
def jobs_proxy(settings: Settings) -> Iterator[TcpFaultProxy]:
    parts = urlsplit(settings.redis_url)
    proxy = TcpFaultProxy(parts.hostname or "127.0.0.1", parts.port or 6379).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def settings(settings: Settings, jobs_proxy: TcpFaultProxy) -> Settings:
    parts = urlsplit(settings.redis_url)
    through = urlunsplit(parts._replace(netloc=f"127.0.0.1:{jobs_proxy.port}"))
    return msgspec.structs.replace(settings, jobs_redis_url=through)


async def test_a_delivery_whose_job_was_not_queued_counts_as_new_next_time(
    api: Api, settings: Settings, jobs_proxy: TcpFaultProxy
) -> None:
    pi, evt = f"pi_{uuid.uuid4().hex[:12]}", f"evt_{uuid.uuid4().hex[:12]}"
    body, headers = _event(settings, pi, evt)
    jobs_proxy.refuse()
    try:
        r = await h.deliver(api.client, body, headers)
    finally:
        jobs_proxy.restore()
    assert r.status_code == 503, r.text
    assert "retry-after" in r.headers
    assert await _queued(settings) == []
    r = await h.deliver(api.client, body, headers)
    assert r.json() == {"received": True, "duplicate": False}
    assert await _queued(settings) == [f"finalize:{pi}"]
    # A redelivery after that is a duplicate and queues nothing more.
    r = await h.deliver(api.client, body, headers)
    assert r.json() == {"received": True, "duplicate": True}
    assert await _queued(settings) == [f"finalize:{pi}"]
