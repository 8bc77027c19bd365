"""Finalize benchmark: orders per second into Postgres with 1 and 2 worker processes, and the
webhook-to-confirmed lag (p50/p99), on this machine.

    python loadtest/bench_finalize.py [--orders 300] [--workers 1,2] [--json out.json]

Per worker count: a fresh database, an event with `--orders` x 2 seats, and that
many fans who each join the queue, hold 2 seats and check out over HTTP; each
PaymentIntent is then confirmed the way the mobile SDK would (client side), so
no job has run yet. With N `onsale worker` processes up, the benchmark fires
every `payment_intent.amount_capturable_updated` webhook (signed, as Stripe
would) at the API as fast as it answers, and waits until every order is
confirmed. Throughput = orders / (last confirmed_at − first webhook sent); lag =
confirmed_at (Postgres clock) − the moment its webhook was sent (same machine).

Each finalize job reads the PaymentIntent back from Stripe and captures it:
two calls to the Stripe stand-in (localstripe, one Python process) per order,
so its speed is part of the figure. Setup uses app.core (embedded servers,
migrations); the measured load is HTTP and arq only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import stripe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.db import with_database  # noqa: E402
from app.core.embedded import (  # noqa: E402
    EmbeddedPostgres,
    EmbeddedRedis,
    LocalStripe,
    free_port,
    register_webhook,
)
from app.core.ids import new_id, utcnow  # noqa: E402
from app.core.migrate import migrate_url  # noqa: E402
from app.core.security import Principal, hash_password, issue_access_token  # noqa: E402
from app.core.settings import Settings  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef0123456789abcdef"
WEBHOOK_SECRET = "whsec_bench"
STRIPE_AUTH = {"Authorization": "Bearer sk_test_onsale_local"}


def spawn(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


async def prepare(base: str, settings: Settings, stripe_base: str, n: int) -> list[dict[str, Any]]:
    """An event, n fans each with a hold of 2 in checkout and an authorized PaymentIntent."""
    conn = await asyncpg.connect(settings.database_url)
    org_id = new_id()
    pw = hash_password("bench password")
    fans = [new_id() for _ in range(n)]
    await conn.execute(
        "INSERT INTO users (user_id, email, password_hash) VALUES ($1, $2, $3)",
        uuid.UUID(org_id),
        f"org-{org_id}@bench",
        pw,
    )
    await conn.execute("INSERT INTO user_roles VALUES ($1, 'organizer')", uuid.UUID(org_id))
    await conn.executemany(
        "INSERT INTO users (user_id, email, password_hash) VALUES ($1, $2, $3)",
        [(uuid.UUID(f), f"fan-{f}@bench", pw) for f in fans],
    )
    await conn.close()

    def auth(user_id: str, role: str) -> dict[str, str]:
        token = issue_access_token(SECRET, Principal(user_id, (role,)), 7200)
        return {"Authorization": f"Bearer {token}"}

    now = utcnow()
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        body = {
            "name": "Bench",
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
        r = await client.post("/api/v1/events", json=body, headers=auth(org_id, "organizer"))
        r.raise_for_status()
        event_id = r.json()["event_id"]
        r = await client.post(
            f"/api/v1/events/{event_id}/publish", headers=auth(org_id, "organizer")
        )
        r.raise_for_status()
        stripe_http = httpx.AsyncClient(base_url=stripe_base, headers=STRIPE_AUTH, timeout=60)
        sem = asyncio.Semaphore(32)

        async def one(fan: str) -> dict[str, Any]:
            async with sem:
                h = auth(fan, "fan")
                q = await client.post(f"/api/v1/events/{event_id}/queue", headers=h)
                token = q.json()["admission_token"]
                hold = await client.post(
                    f"/api/v1/events/{event_id}/holds",
                    json={"section": "A", "quantity": 2},
                    headers={**h, "X-Admission-Token": token},
                )
                hold.raise_for_status()
                co = await client.post(
                    f"/api/v1/holds/{hold.json()['hold_id']}/checkout", json={}, headers=h
                )
                co.raise_for_status()
                pi = co.json()["payment_intent_id"]
                await stripe_http.post(
                    f"/v1/payment_intents/{pi}", data={"payment_method": "pm_card_visa"}
                )
                confirmed = await stripe_http.post(f"/v1/payment_intents/{pi}/confirm")
                return {"order_id": co.json()["order_id"], "pi": confirmed.json()}

        items = await asyncio.gather(*(one(f) for f in fans))
        await stripe_http.aclose()
    return items


async def fire(base: str, items: list[dict[str, Any]]) -> dict[str, float]:
    """Send every webhook as fast as the API answers; returns order_id -> send time (epoch s)."""
    sent: dict[str, float] = {}
    sem = asyncio.Semaphore(32)
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
            async with sem:
                sent[item["order_id"]] = time.time()
                r = await client.post(
                    "/api/v1/webhooks/stripe",
                    content=body,
                    headers={"Stripe-Signature": header, "Content-Type": "application/json"},
                )
                r.raise_for_status()

        await asyncio.gather(*(one(i) for i in items))
    return sent


def _store_worker(settings: Settings, pis: list[dict[str, Any]], out: Any) -> None:
    """One process: the Redis + Postgres half of finalize (convert + transaction), 50 at once."""

    async def go() -> None:
        from app.core.db import create_pool
        from app.core.redis import create_redis
        from app.core.scripts import Scripts
        from app.orders import finalize
        from app.payments.gateway import Intent

        pool = await create_pool(settings.database_url, size=10)
        redis = create_redis(settings.redis_url)
        deps = finalize.Deps(settings=settings, pool=pool, redis=redis, scripts=Scripts(redis))
        sem = asyncio.Semaphore(50)

        async def one(pi: dict[str, Any]) -> None:
            purchase = finalize.Purchase.of(Intent.of(pi))
            assert purchase is not None
            async with sem:
                await finalize.holdops.convert_hold(
                    deps.scripts,
                    purchase.event_id,
                    purchase.hold_id,
                    payment_intent_id=pi["id"],
                    order_id=purchase.order_id,
                    user_id=purchase.user_id,
                    section=purchase.section,
                    quantity=purchase.quantity,
                    now_ms=int(time.time() * 1000),
                )
                await finalize._write_confirmed(deps, purchase, pi["id"], None, late=False)

        t = time.perf_counter()
        await asyncio.gather(*(one(pi) for pi in pis))
        out.put(time.perf_counter() - t)
        await redis.aclose()
        await pool.close()

    asyncio.run(go())


async def run_store_only(procs: int, n: int, servers: dict[str, str]) -> dict[str, Any]:
    """Orders/s of the Redis + Postgres half alone (no Stripe calls), `procs` processes."""
    import multiprocessing

    settings, env, cleanup = await _fresh(servers)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = spawn(env, "api", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
    try:
        _wait_ready(base)
        items = await prepare(base, settings, servers["stripe"], n)
    finally:
        stop([api])
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start = time.perf_counter()
    workers = [
        ctx.Process(target=_store_worker, args=(settings, [i["pi"] for i in items[k::procs]], out))
        for k in range(procs)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - start
    busy = max(out.get() for _ in workers)
    conn = await asyncpg.connect(settings.database_url)
    done = await conn.fetchval("SELECT count(*) FROM orders WHERE status = 'confirmed'")
    await conn.close()
    await cleanup()
    return {"processes": procs, "orders": done, "orders_per_s": round(done / busy, 1),
            "wall_s_incl_start": round(wall, 2)}  # fmt: skip


def _wait_ready(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(base + "/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)


async def _fresh(servers: dict[str, str]) -> tuple[Settings, dict[str, str], Any]:
    admin = await asyncpg.connect(servers["pg"])
    db = f"bench_fin_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{db}"')
    await admin.close()
    settings = Settings(
        redis_url=servers["redis"],
        database_url=with_database(servers["pg"], db),
        secret_key=SECRET,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=servers["stripe"],
        log_level="WARNING",
    )
    await migrate_url(settings.database_url)
    import redis as redis_sync

    redis_sync.Redis.from_url(settings.redis_url).flushdb()

    async def cleanup() -> None:
        return None

    return settings, settings.as_env(), cleanup


async def run_one(workers: int, n: int, servers: dict[str, str]) -> dict[str, Any]:
    admin = await asyncpg.connect(servers["pg"])
    db = f"bench_fin_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{db}"')
    await admin.close()
    settings = Settings(
        redis_url=servers["redis"],
        database_url=with_database(servers["pg"], db),
        secret_key=SECRET,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=servers["stripe"],
        log_level="WARNING",
    )
    await migrate_url(settings.database_url)
    import redis as redis_sync

    redis_sync.Redis.from_url(settings.redis_url).flushdb()
    env = settings.as_env()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = spawn(env, "api", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
    procs = [api]
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        register_webhook(servers["stripe"], f"{base}/api/v1/webhooks/stripe", WEBHOOK_SECRET)
        t = time.monotonic()
        items = await prepare(base, settings, servers["stripe"], n)
        print(f"  prepared {n} authorized checkouts in {time.monotonic() - t:.1f} s", flush=True)
        procs += [spawn(env, "worker") for _ in range(workers)]
        await asyncio.sleep(3)  # workers connected and polling
        start = time.time()
        sent = await fire(base, items)
        fired = time.time() - start
        conn = await asyncpg.connect(settings.database_url)
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                done = await conn.fetchval("SELECT count(*) FROM orders WHERE status = 'confirmed'")
                if done >= n:
                    break
                await asyncio.sleep(0.1)
            rows = await conn.fetch(
                "SELECT order_id, extract(epoch FROM confirmed_at) AS at FROM orders "
                "WHERE status = 'confirmed'"
            )
        finally:
            await conn.close()
        confirmed = {str(r["order_id"]): float(r["at"]) for r in rows}
        lags = sorted(confirmed[o] - sent[o] for o in confirmed if o in sent)
        span = max(confirmed.values()) - start
        return {
            "workers": workers,
            "orders": len(confirmed),
            "orders_per_s": round(len(confirmed) / span, 1),
            "webhooks_fired_in_s": round(fired, 2),
            "lag_p50_ms": round(statistics.median(lags) * 1000, 1),
            "lag_p99_ms": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000, 1),
        }
    finally:
        stop(procs)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--store-orders", type=int, default=1000)
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="onsale-bench-") as tmp:
        redis = EmbeddedRedis(Path(tmp) / "valkey", persist=False)
        pg = EmbeddedPostgres(Path(tmp) / "pg")
        ls = LocalStripe()
        try:
            servers = {
                "redis": os.environ.get("ONSALE_REDIS_URL") or redis.start(),
                "pg": os.environ.get("ONSALE_DATABASE_URL") or pg.start("postgres"),
                "stripe": ls.start(),
            }
            results = []
            for w in (int(x) for x in args.workers.split(",")):
                print(f"finalize with {w} worker process(es):", flush=True)
                result = await run_one(w, args.orders, servers)
                print("  " + json.dumps(result), flush=True)
                results.append(result)
            store = []
            for w in (int(x) for x in args.workers.split(",")):
                print(f"Redis + Postgres half only, {w} process(es):", flush=True)
                result = await run_store_only(w, args.store_orders, servers)
                print("  " + json.dumps(result), flush=True)
                store.append(result)
        finally:
            ls.stop()
            redis.stop()
            pg.stop()
    print(f"{'workers':>8} {'orders/s':>9} {'lag p50 ms':>11} {'lag p99 ms':>11}")
    for r in results:
        print(
            f"{r['workers']:>8} {r['orders_per_s']:>9} {r['lag_p50_ms']:>11} {r['lag_p99_ms']:>11}"
        )
    print(f"{'procs':>8} {'store-only orders/s':>20}")
    for r in store:
        print(f"{r['processes']:>8} {r['orders_per_s']:>20}")
    if args.json:
        Path(args.json).write_text(json.dumps({"finalize": results, "store_only": store}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
