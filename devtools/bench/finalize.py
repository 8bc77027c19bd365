"""The `finalize` scenario: orders per second end to end with 2 workers, at Stripe's latency.

End to end: a fresh database, an event and `rounds` x `orders` fans who each
join, hold 2 seats and check out over HTTP; each PaymentIntent is then
authorized client side (as the mobile SDK would), so no job has run yet.
Stripe is the bench's payment stand-in (devtools/bench/paystub.py): every
call answers after a fixed 300 ms, like the real API, at no CPU cost, so the
figure measures Onsale and not the stand-in (localstripe, one Python
process, used to). With 2 `onsale worker` processes up (ONSALE_WORKER_MAX_JOBS
jobs each), each round fires its `orders` signed
`payment_intent.amount_capturable_updated` webhooks at the API as fast as it
answers; throughput = orders / (last confirmed_at - first webhook sent);
lag = confirmed_at - the moment its webhook was sent. A finalize job makes
two Stripe calls (read back, capture), so by Little's law 500 orders/s needs
500 x ~0.65 s = ~325 jobs in flight: ~163 per worker.

The Redis + Postgres part alone (convert_hold.lua + the order transaction,
50 at once per process, no Stripe calls) is measured too, with 2 processes.
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
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
import msgspec
import stripe

from app.core.clock import now_ms
from app.core.security import Principal, issue_access_token
from app.core.settings import Settings
from devtools.bench import profile
from devtools.bench.stack import (
    BenchStack,
    bulk_users,
    publish_event,
    serve,
    stop_group,
    worker_pids,
)
from devtools.bench.wrk import cpu_seconds, tree_cpu_seconds
from devtools.embedded import free_port

STRIPE_AUTH = {"Authorization": "Bearer sk_test_onsale_local"}
WEBHOOK_SECRET = "whsec_bench"
STORE_CONCURRENCY = 50
# Each call to the payment stand-in answers after this long (real Stripe: a few hundred ms).
STANDIN_DELAY_MS = 300
# Checkouts and client-side authorizations in flight while preparing (each waits on Stripe).
PREPARE_CONCURRENCY = 128
# Webhooks in flight while firing.
FIRE_CONCURRENCY = 64
# The payment reconciler's bound in the bench (longer than preparing and running every round).
RECONCILE_AFTER_S = 3600


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
    limits = httpx.Limits(max_connections=PREPARE_CONCURRENCY)
    async with (
        httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client,
        httpx.AsyncClient(
            base_url=stripe_base, headers=STRIPE_AUTH, timeout=60, limits=limits
        ) as stripe_http,
    ):
        sections = [{"code": "A", "name": "A", "price_cents": 1000, "capacity": 2 * n}]
        event_id = await publish_event(
            client,
            org,
            name="Bench finalize",
            venue="Bench",
            hold_ttl_s=3600,
            sections=sections,
            waiting_room={"enabled": False},
        )
        gate = asyncio.Semaphore(PREPARE_CONCURRENCY)

        async def one(fan: Principal) -> tuple[str, str]:
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
                return co.json()["order_id"], co.json()["payment_intent_id"]

        checkouts = await asyncio.gather(*(one(f) for f in fans))
        # The fans' card step, straight at the stand-in (no delay): not what is measured.
        got = await stripe_http.post(
            "/_bench/intents",
            content=msgspec.json.encode({"ids": [pi for _, pi in checkouts], "authorize": confirm}),
        )
        got.raise_for_status()
        intents = got.json()["intents"]
        return [{"order_id": o, "pi": pi} for (o, _), pi in zip(checkouts, intents, strict=True)]


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
    """Every webhook, as fast as the API answers; order_id -> send time (epoch s).

    aiohttp, not httpx: httpcore's pool scans all its connections per request,
    enough CPU at 64 connections to make this client, not the API, the limit."""
    sent: dict[str, float] = {}
    gate = asyncio.Semaphore(FIRE_CONCURRENCY)
    bodies = []
    for item in items:
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
        bodies.append((item["order_id"], body, header))
    connector = aiohttp.TCPConnector(limit=FIRE_CONCURRENCY)
    async with aiohttp.ClientSession(
        base, connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as client:

        async def one(order_id: str, body: str, header: str) -> None:
            async with gate:
                sent[order_id] = time.time()
                async with client.post(
                    "/api/v1/webhooks/stripe",
                    data=body,
                    headers={"Stripe-Signature": header, "Content-Type": "application/json"},
                ) as r:
                    await r.read()
                    r.raise_for_status()

        await asyncio.gather(*(one(*b) for b in bodies))
    return sent


def _settings(stack: BenchStack, stripe_base: str) -> Settings:
    return msgspec.structs.replace(
        stack.settings,
        database_url=stack.new_database(),
        stripe_api_base=stripe_base,
        stripe_webhook_secret=WEBHOOK_SECRET,
        # Every round's PaymentIntents are authorized up front, minutes before their round
        # fires their webhooks; past the reconciler's 60 s it would read each back from
        # Stripe and finalize it first, and the round's job would then find it done: work a
        # sale, whose webhooks come seconds after the card step, does not do.
        payment_reconcile_after_s=RECONCILE_AFTER_S,
    )


@contextlib.contextmanager
def _api(settings: Settings, pids: list[int] | None = None) -> Iterator[str]:
    """The API (2 workers) while the block runs; its worker pids land in `pids`."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "app.cli", "api", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "2"]  # fmt: skip
    with serve(args, {**os.environ, **settings.as_env()}, base + "/health/ready") as proc:
        if pids is not None:
            pids.extend(worker_pids(proc.pid))
        yield base


@contextlib.contextmanager
def paystub(delay_ms: int = STANDIN_DELAY_MS) -> Iterator[tuple[str, int]]:
    """The payment stand-in in its own process; its base URL and pid."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "devtools.bench.paystub", "--port", str(port),
            "--delay-ms", str(delay_ms)]  # fmt: skip
    with serve(args, dict(os.environ), base + "/_bench/calls") as proc:
        yield base, proc.pid


def _flush(redis_url: str) -> None:
    import redis as redis_sync

    client = redis_sync.Redis.from_url(redis_url)
    client.flushdb()
    client.close()


def end_to_end(
    stack: BenchStack,
    stripe_base: str,
    workers: int,
    n: int,
    rounds: int,
    log: Any,
    profile_dir: Path | None = None,
    others: dict[str, list[int]] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """`rounds` measurements of `n` orders each, with the same workers up throughout; with
    `profile_dir`, one more round with py-spy on the workers (not among the figures)."""
    settings = _settings(stack, stripe_base)
    _flush(settings.redis_url)
    env = {**os.environ, **settings.as_env()}
    api_pids: list[int] = []
    prof: dict[str, Any] | None = None
    with _api(settings, api_pids) as base:
        started = time.monotonic()
        total = n * (rounds + (profile_dir is not None))
        items = asyncio.run(prepare(base, settings, stripe_base, total, confirm=True))
        log(f"  prepared {len(items)} authorized checkouts in {time.monotonic() - started:.1f} s")
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
            out = []
            # Every process an order costs CPU in: with 2 cores, orders/s can never pass
            # 2 / (their CPU seconds per order), whoever else shares the machine.
            parts = {**stack.server_pids(), **(others or {})}
            for r in range(rounds):
                worker_cpu = [cpu_seconds(p.pid) for p in procs]
                api_cpu = [cpu_seconds(p) for p in api_pids]
                part_cpu = {k: tree_cpu_seconds(v) for k, v in parts.items()}
                client_cpu = time.process_time()
                got = asyncio.run(
                    _measure(base, settings.database_url, items[r * n : (r + 1) * n], workers)
                )
                done = max(1, got["orders"])
                got["cpu_ms_per_order"] = {
                    **{
                        k: round((tree_cpu_seconds(v) - part_cpu[k]) / done * 1000, 2)
                        for k, v in parts.items()
                    },
                    "bench client": round((time.process_time() - client_cpu) / done * 1000, 2),
                }
                got["max_jobs"] = settings.worker_max_jobs
                # CPU per order: with N cores, orders/s can never pass N / this.
                spent = sum(cpu_seconds(p.pid) for p in procs) - sum(worker_cpu)
                got["worker_cpu_ms_per_order"] = round(spent / max(1, got["orders"]) * 1000, 2)
                spent = sum(cpu_seconds(p) for p in api_pids) - sum(api_cpu)
                got["api_cpu_ms_per_order"] = round(spent / max(1, got["orders"]) * 1000, 2)
                log(f"  round {r + 1}: {got}")
                out.append(got)
            if profile_dir is not None:
                spies = profile.Spies([p.pid for p in procs], profile_dir, "finalize-worker")
                extra = items[rounds * n :]
                got = asyncio.run(_measure(base, settings.database_url, extra, workers))
                prof = spies.stop(profile.FINALIZE_LAYERS)
                if prof is not None:
                    prof["load"] = got
                log(f"  profiled round (py-spy on both workers): {got}")
            return out, prof
        finally:
            for p in procs:
                stop_group(p)


async def _measure(
    base: str, database_url: str, items: list[dict[str, Any]], workers: int
) -> dict[str, Any]:
    ids = [uuid.UUID(i["order_id"]) for i in items]
    start = time.time()
    sent = await fire(base, items)
    fired = time.time() - start
    conn = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            done = await conn.fetchval(
                "SELECT count(*) FROM orders WHERE status = 'confirmed' AND order_id = ANY($1)",
                ids,
            )
            if done >= len(items):
                break
            await asyncio.sleep(0.1)
        rows = await conn.fetch(
            "SELECT order_id, extract(epoch FROM confirmed_at)::float8 AS at FROM orders "
            "WHERE status = 'confirmed' AND order_id = ANY($1)",
            ids,
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
        "webhooks_per_s": round(len(items) / fired, 1) if fired else None,
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
                await write_confirmed(pool, settings, purchase, pi["id"], hold, late=False)

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


def run(
    stack: BenchStack,
    orders: int,
    rounds: int,
    store_orders: int,
    log: Any,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """End to end with 2 workers against the payment stand-in (and a profiled round with
    `profile_dir`), then the Redis + Postgres part."""
    with paystub() as (stripe_base, stub_pid):
        e2e, prof = end_to_end(
            stack, stripe_base, 2, orders, rounds, log, profile_dir, {"stand-in": [stub_pid]}
        )
        store = []
        for procs, sync in ((2, True),):
            store.append(store_only(stack, stripe_base, procs, store_orders, sync_commit=sync))
            log(f"  Redis + Postgres part, {procs} process(es): {store[-1]}")
    return {
        "end_to_end": e2e,
        "store_only": store,
        "stand_in_delay_ms": STANDIN_DELAY_MS,
        "worker_profile": prof,
    }
