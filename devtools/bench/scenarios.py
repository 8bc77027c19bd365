"""Benchmark scenarios over HTTP, each measured by wrk at several connection counts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import msgspec

from app.core import keys
from app.core.clock import now_ms
from app.core.ids import new_id
from app.core.redis import create_redis
from devtools.bench.stack import BenchStack, access_token, bulk_users, publish_event
from devtools.bench.wrk import WrkResult, run_wrk, write_requests
from waiting_room import tokens

JSON = {"Content-Type": "application/json"}


def ceiling(stack: BenchStack, work: Path, connections: int, duration_s: int) -> WrkResult:
    """The framework's ceiling: decode and return a small msgspec body."""
    body = msgspec.json.encode({"section": "FLOOR", "quantity": 2}).decode()
    lines = [("POST", "/api/v1/_bench/echo", JSON, body)]
    return run_wrk(
        stack.base_url,
        write_requests(lines, work),
        connections=connections,
        duration_s=duration_s,
        server_pids=stack.worker_pids(),
    )


async def open_event(
    stack: BenchStack, client: httpx.AsyncClient, name: str, sections: list[dict[str, object]]
) -> tuple[str, dict[str, str]]:
    """A published bench event with these sections (no waiting room, limits no run reaches):
    (event id, its organizer's auth header)."""
    settings = stack.settings
    (organizer,) = await bulk_users(settings.database_url, settings.secret_key, 1, "organizer")
    auth = {"Authorization": f"Bearer {access_token(settings, organizer)}"}
    event_id = await publish_event(
        client,
        auth,
        name=name,
        max_per_order=4,
        max_per_user=1000,
        sections=sections,
        waiting_room={"enabled": False},
    )
    return event_id, auth


async def admitted_fans(stack: BenchStack, event_id: str, fans: int) -> list[str]:
    """`fans` new accounts admitted to the event for a day: 'Bearer <token><TAB><admission>'
    each, what a shopper's requests carry."""
    settings = stack.settings
    shoppers = await bulk_users(settings.database_url, settings.secret_key, fans)
    redis = create_redis(settings.redis_url)
    expires_ms = now_ms() + 24 * 3600 * 1000
    pipe = redis.pipeline(transaction=False)
    creds: list[str] = []
    for fan in shoppers:
        session_id = new_id()
        pipe.zadd(keys.active_sessions(event_id), {session_id: expires_ms})
        admission = tokens.issue(
            settings.secret_key, tokens.Admission(event_id, fan.user_id, session_id, expires_ms)
        )
        creds.append(f"Bearer {access_token(settings, fan)}\t{admission}")
    await pipe.execute()
    await redis.aclose()
    return creds


async def _holds_event(stack: BenchStack, fans: int) -> tuple[str, list[str]]:
    """An event with seats enough for the whole run and `fans` admitted shoppers."""
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": 9_000_000}]
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        event_id, _ = await open_event(stack, client, "Bench Night", sections)
    return event_id, await admitted_fans(stack, event_id, fans)


def holds_requests(stack: BenchStack, work: Path, fans: int = 2000) -> Path:
    """The wrk request file of the holds scenarios (made once per run, shared with holds_pg)."""
    cached = work / "holds-requests.tsv"
    if cached.exists():
        return cached
    event_id, creds = asyncio.run(_holds_event(stack, fans=fans))
    body = msgspec.json.encode({"section": "FLOOR", "quantity": 1}).decode()
    lines = []
    for fan in creds:
        bearer, admission = fan.split("\t")
        headers = {
            **JSON,
            "Authorization": bearer,
            "X-Admission-Token": admission,
            "Idempotency-Key": "@unique",
        }
        lines.append(("POST", f"/api/v1/events/{event_id}/holds", headers, body))
    write_requests(lines, work).rename(cached)
    (work / "holds-event.txt").write_text(event_id)
    return cached


def holds_event_id(work: Path) -> str:
    return (work / "holds-event.txt").read_text().strip()


def holds(stack: BenchStack, work: Path, connections: int, duration_s: int) -> WrkResult:
    """End to end POST /holds: auth, admission token, idempotency key, the Lua script."""
    return run_wrk(
        stack.base_url,
        holds_requests(stack, work),
        connections=connections,
        duration_s=duration_s,
        server_pids=stack.worker_pids(),
    )
