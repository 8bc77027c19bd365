"""The `finalize` scenario: orders per second into Postgres with 1 and 2 worker processes.

End to end, per worker count: a fresh database, an event with `orders` x 2 seats
and that many fans who each join, hold 2 seats and check out over HTTP; each
PaymentIntent is then confirmed client side (as the mobile SDK would), so no
job has run yet. With N `onsale worker` processes up, every
`payment_intent.amount_capturable_updated` webhook (signed like Stripe's) is
fired at the API as fast as it answers; throughput = orders / (last
confirmed_at - first webhook sent); lag = confirmed_at - the moment its
webhook was sent. Each finalize job reads the PaymentIntent back from Stripe
and captures it: two calls to the Stripe stand-in (localstripe, one Python
process), whose speed is part of that figure.

The Redis + Postgres part alone (convert_hold.lua + the order transaction,
50 at once per process, no Stripe calls) is measured too, with 1 and 2
processes, and once more with `synchronous_commit = off` as a diagnostic:
the gap between the two is the WAL flush that every order's commit waits for
while it holds the section row's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import msgspec
import stripe

from app.core.clock import now_ms, utcnow
from app.core.security import Principal, issue_access_token
from app.core.settings import Settings
from devtools.bench.stack import BenchStack, bulk_users, serve, stop_group
from devtools.embedded import LocalStripe, free_port, register_webhook

STRIPE_AUTH = {"Authorization": "Bearer sk_test_onsale_local"}
WEBHOOK_SECRET = "whsec_bench"
STORE_CONCURRENCY = 50


def _auth(settings: Settings, principal: Principal) -> dict[str, str]:
    token = issue_access_token(settings.secret_key, principal, 7200)
    return {"Authorization": f"Bearer {token}"}


async def prepare(
    base: str, settings: Settings, stripe_base: str, n: int, *, confirm: bool
) -> list[dict[str, Any]]:
    """An event and n fans each with a hold of 2 in checkout; their PaymentIntents
    (authorized when `confirm`, else just created)."""
    (organizer,) = await bulk_users(settings.database_url, settings.secret_key, 1, "organizer")
    fans = await bulk_users(settings.database_url, settings.secret_key, n)
    org = _auth(settings, organizer)
    now = utcnow()
    limits = httpx.Limits(max_connections=64)
    async with (
        httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client,
        httpx.AsyncClient(base_url=stripe_base, headers=STRIPE_AUTH, timeout=60) as stripe_http,
    ):
        body = {
            "name": "Bench finalize",
            "venue": "Bench",
            "starts_at": (now + timedelta(days=3)).isoformat(),
            "timezone": "UTC",
            "onsale_at": (now - timedelta(minutes=1)).isoformat(),
            "offsale_at": (now + timedelta(days=2)).isoformat(),
            "currency": "EUR",
            "hold_ttl_s": 3600,
            "sections": [{"code": "A", "name": "A", "price_cents": 1000, "capacity": 2 * n}],
            "waiting_room": {"enabled": False},
        }
        r = await client.post("/api/v1/events", json=body, headers=org)
        r.raise_for_status()
        event_id = r.json()["event_id"]
        (await client.post(f"/api/v1/events/{event_id}/publish", headers=org)).raise_for_status()
        gate = asyncio.Semaphore(32)

        async def one(fan: Principal) -> dict[str, Any]:
            async with gate:
                h = _auth(settings, fan)
                q = await _post(client, f"/api/v1/events/{event_id}/queue", headers=h)
                hold = await _post(
                    client,
                    f"/api/v1/events/{event_id}/holds",
                    json={"section": "A", "quantity": 2},
                    headers={**h, "X-Admission-Token": q.json()["admission_token"]},
                )
                co = await _post(
                    client, f"/api/v1/holds/{hold.json()['hold_id']}/checkout", json={}, headers=h
                )
                pi = co.json()["payment_intent_id"]
                if confirm:
                    await stripe_http.post(
                        f"/v1/payment_intents/{pi}", data={"payment_method": "pm_card_visa"}
                    )
                    got = await stripe_http.post(f"/v1/payment_intents/{pi}/confirm")
                else:
                    got = await stripe_http.get(f"/v1/payment_intents/{pi}")
                got.raise_for_status()
                return {"order_id": co.json()["order_id"], "pi": got.json()}

        return list(await asyncio.gather(*(one(f) for f in fans)))


async def _post(client: httpx.AsyncClient, url: str, **kw: Any) -> httpx.Response:
    """POST with an Idempotency-Key, retried on a dropped connection (a keep-alive
    connection the server closed while idle): the retry gets the first outcome."""
    headers = {**kw.pop("headers", {}), "Idempotency-Key": uuid.uuid4().hex}
    for attempt in range(4):
        try:
            r = await client.post(url, headers=headers, **kw)
        except httpx.TransportError:
            if attempt == 3:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))
            continue
        r.raise_for_status()
        return r
    raise AssertionError("unreachable")


async def fire(base: str, items: list[dict[str, Any]]) -> dict[str, float]:
    """Every webhook, as fast as the API answers; order_id -> send time (epoch s)."""
    sent: dict[str, float] = {}
    gate = asyncio.Semaphore(32)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def one(item: dict[str, Any]) -> None:
            body = json.dumps(
                {
                    "id": f"evt_{uuid.uuid4().hex[:24]}",
                    "object": "event",
                    "type": "payment_intent.amount_capturable_updated",
                    "created": int(time.time()),
                    "data": {"object": item["pi"]},
                }
            )
            header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
            async with gate:
                sent[item["order_id"]] = time.time()
                r = await client.post(
                    "/api/v1/webhooks/stripe",
                    content=body,
                    headers={"Stripe-Signature": header, "Content-Type": "application/json"},
                )
                r.raise_for_status()

        await asyncio.gather(*(one(i) for i in items))
    return sent


def _settings(stack: BenchStack, stripe_base: str) -> Settings:
    return msgspec.structs.replace(
        stack.settings,
        database_url=stack.new_database(),
        stripe_api_base=stripe_base,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )


@contextlib.contextmanager
def _api(settings: Settings) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "app.cli", "api", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "2"]  # fmt: skip
    with serve(args, {**os.environ, **settings.as_env()}, base + "/health/ready"):
        yield base


def _flush(redis_url: str) -> None:
    import redis as redis_sync

    client = redis_sync.Redis.from_url(redis_url)
    client.flushdb()
    client.close()


def end_to_end(stack: BenchStack, stripe_base: str, workers: int, n: int) -> dict[str, Any]:
    settings = _settings(stack, stripe_base)
    _flush(settings.redis_url)
    env = {**os.environ, **settings.as_env()}
    with _api(settings) as base:
        register_webhook(stripe_base, f"{base}/api/v1/webhooks/stripe", WEBHOOK_SECRET)
        items = asyncio.run(prepare(base, settings, stripe_base, n, confirm=True))
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                # arq prints the jobs it cancels at shutdown: not the benchmark's news.
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for _ in range(workers)
        ]
        try:
            time.sleep(3)  # workers connected and polling
            return asyncio.run(_measure(base, settings.database_url, items, workers))
        finally:
            for p in procs:
                stop_group(p)


async def _measure(
    base: str, database_url: str, items: list[dict[str, Any]], workers: int
) -> dict[str, Any]:
    start = time.time()
    sent = await fire(base, items)
    fired = time.time() - start
    conn = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            done = await conn.fetchval("SELECT count(*) FROM orders WHERE status = 'confirmed'")
            if done >= len(items):
                break
            await asyncio.sleep(0.1)
        rows = await conn.fetch(
            "SELECT order_id, extract(epoch FROM confirmed_at)::float8 AS at FROM orders "
            "WHERE status = 'confirmed'"
        )
    finally:
        await conn.close()
    confirmed = {str(r["order_id"]): float(r["at"]) for r in rows}
    lags = sorted(confirmed[o] - sent[o] for o in confirmed if o in sent)
    span = max(confirmed.values()) - start if confirmed else float("inf")
    return {
        "workers": workers,
        "orders": len(confirmed),
        "orders_per_s": round(len(confirmed) / span, 1),
        "webhooks_fired_in_s": round(fired, 2),
        "lag_p50_ms": round(statistics.median(lags) * 1000, 1) if lags else None,
        "lag_p99_ms": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000, 1)
        if lags
        else None,
    }


def _store_worker(
    settings: Settings, pis: list[dict[str, Any]], sync_commit: bool, out: Any
) -> None:
    """One process: convert_hold.lua + the order transaction for each PaymentIntent."""

    async def go() -> None:
        from app.core.db import create_pool
        from app.core.redis import create_redis
        from app.core.scripts import Scripts
        from app.holds.record import read_hold
        from app.holds.scripts import hold_scripts
        from app.orders.confirm import write_confirmed
        from app.orders.purchase import Purchase
        from app.payments.gateway import Intent

        server_settings = {} if sync_commit else {"synchronous_commit": "off"}
        pool = await create_pool(settings.database_url, size=10, server_settings=server_settings)
        redis = create_redis(settings.redis_url)
        scripts = hold_scripts(Scripts(redis))
        gate = asyncio.Semaphore(STORE_CONCURRENCY)

        async def one(pi: dict[str, Any]) -> None:
            purchase = Purchase.of_intent(Intent.of(pi))
            if purchase is None:
                raise RuntimeError(f"{pi['id']} carries no purchase")
            async with gate:
                hold = await read_hold(redis, purchase.event_id, purchase.hold_id)
                await scripts.convert(
                    purchase.event_id,
                    purchase.hold_id,
                    payment_intent_id=pi["id"],
                    order_id=purchase.order_id,
                    user_id=purchase.user_id,
                    section=purchase.section,
                    quantity=purchase.quantity,
                    now=now_ms(),
                )
                await write_confirmed(
                    pool, settings.secret_key, purchase, pi["id"], hold, late=False
                )

        started = time.perf_counter()
        await asyncio.gather(*(one(pi) for pi in pis))
        out.put(time.perf_counter() - started)
        await redis.aclose()
        await pool.close()

    asyncio.run(go())


def store_only(
    stack: BenchStack, stripe_base: str, procs: int, n: int, *, sync_commit: bool = True
) -> dict[str, Any]:
    """Orders/s of the Redis + Postgres part alone (no Stripe calls), `procs` processes."""
    settings = _settings(stack, stripe_base)
    _flush(settings.redis_url)
    with _api(settings) as base:
        items = asyncio.run(prepare(base, settings, stripe_base, n, confirm=False))
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [
        ctx.Process(
            target=_store_worker,
            args=(settings, [i["pi"] for i in items[k::procs]], sync_commit, out),
        )
        for k in range(procs)
    ]
    for w in workers:
        w.start()
    busy = max(out.get(timeout=300) for _ in workers)
    for w in workers:
        w.join()
    done = asyncio.run(_confirmed(settings.database_url))
    return {
        "processes": procs,
        "synchronous_commit": "on" if sync_commit else "off",
        "orders": done,
        "orders_per_s": round(done / busy, 1),
    }


async def _confirmed(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM orders WHERE status = 'confirmed'"))
    finally:
        await conn.close()


def run(stack: BenchStack, orders: int, store_orders: int, log: Any) -> dict[str, Any]:
    """End to end with 1 and 2 workers, then the Redis + Postgres part alone."""
    stripe_server = LocalStripe()
    stripe_base = stripe_server.start()
    try:
        e2e = []
        for workers in (1, 2):
            e2e.append(end_to_end(stack, stripe_base, workers, orders))
            log(f"  end to end, {workers} worker(s): {e2e[-1]}")
        store = []
        for procs, sync in ((1, True), (2, True), (2, False)):
            store.append(store_only(stack, stripe_base, procs, store_orders, sync_commit=sync))
            log(f"  Redis + Postgres part, {procs} process(es): {store[-1]}")
    finally:
        stripe_server.stop()
    return {"end_to_end": e2e, "store_only": store}
