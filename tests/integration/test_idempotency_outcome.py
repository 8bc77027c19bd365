"""The outcome of an Idempotency-Key request is stored after its answer went out: a Redis
that cannot take it then must not break the answer already sent."""

from __future__ import annotations

import socket

import msgspec
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from app.core.idempotency import Record, _record_outcome


def _failures() -> float:
    return REGISTRY.get_sample_value("onsale_idempotency_record_failures_total") or 0.0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_outcome_is_stored_for_replay(redis_url: str) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    done = Record(fp="f", state="done", status=201, headers=[], body='{"ok":true}')
    try:
        before = _failures()
        await _record_outcome(client, "idem:test:stored", done)
        stored = await client.get("idem:test:stored")
        ttl = await client.pttl("idem:test:stored")
    finally:
        await client.aclose()
    assert stored is not None
    assert msgspec.json.decode(stored, type=Record) == done
    assert ttl > 24 * 3600 * 1000
    assert _failures() == before


async def test_a_redis_that_refuses_the_outcome_is_counted_not_raised() -> None:
    # A real refused connection: nothing listens on this port.
    client = Redis.from_url(f"redis://127.0.0.1:{_closed_port()}/0", socket_connect_timeout=1)
    done = Record(fp="f", state="done", status=201, headers=[], body="{}")
    try:
        before = _failures()
        await _record_outcome(client, "idem:test:lost", done)
    finally:
        await client.aclose()
    assert _failures() == before + 1
