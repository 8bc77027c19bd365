"""`onsale simulate`: a whole onsale driven by N simulated fans over HTTP, invariants checked.

Fans are created directly in Postgres (argon2 registration costs ~50 ms of
CPU each and is not what an onsale measures) and get access tokens signed
with the instance's secret; everything else goes through the public API
exactly as a fan's app would: join, poll, hold, check out, poll the order.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.core.settings import Settings
from devtools.bench.stack import access_token, bulk_users

console = Console()


@dataclass
class Outcome:
    """What happened in the run, per step and in total."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    payment_intents: set[str] = field(default_factory=set)
    server_errors: int = 0
    sold_out_at: float | None = None


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


class Simulation:
    def __init__(
        self,
        settings: Settings,
        base_url: str,
        fans: int,
        sections: dict[str, int],
        *,
        abandon: float,
        hold_ttl_s: int,
        concurrency: int,
        seed: int,
    ) -> None:
        self.settings = settings
        self.base_url = base_url
        self.fans = fans
        self.sections = sections
        self.abandon = abandon
        self.hold_ttl_s = hold_ttl_s
        self.gate = asyncio.Semaphore(concurrency)
        self.rng = random.Random(seed)
        self.out = Outcome()
        self.event_id = ""
        self.started = 0.0

    async def timed(
        self, client: httpx.AsyncClient, step: str, method: str, url: str, **kw: Any
    ) -> httpx.Response:
        t0 = time.perf_counter()
        async with self.gate:
            for attempt in range(4):
                try:
                    r = await client.request(method, url, **kw)
                    break
                except httpx.TransportError:
                    # A keep-alive connection the server closed while it sat idle: every
                    # request here is safe to send again (GETs, joins, Idempotency-Keys).
                    self.out.counts["retried_connection"] += 1
                    if attempt == 3:
                        raise
                    await asyncio.sleep(0.1 * (attempt + 1))
        self.out.latencies[step].append(time.perf_counter() - t0)
        if r.status_code >= 500:
            self.out.server_errors += 1
        return r

    async def create_event(self, client: httpx.AsyncClient) -> None:
        (organizer,) = await bulk_users(
            self.settings.database_url, self.settings.secret_key, 1, "organizer"
        )
        self.organizer_auth = {"Authorization": f"Bearer {access_token(self.settings, organizer)}"}
        now = datetime.now(UTC)
        body = {
            "name": f"Simulated onsale {now:%H:%M:%S}",
            "venue": "Simulation Arena",
            "starts_at": (now + timedelta(days=7)).isoformat(),
            "timezone": "UTC",
            "onsale_at": (now + timedelta(seconds=2)).isoformat(),
            "offsale_at": (now + timedelta(days=6)).isoformat(),
            "currency": "EUR",
            "hold_ttl_s": self.hold_ttl_s,
            "max_per_order": 4,
            "max_per_user": 4,
            "sections": [
                {"code": code, "name": code.title(), "price_cents": 4900, "capacity": cap}
                for code, cap in self.sections.items()
            ],
            "waiting_room": {
                "enabled": True,
                "admit_batch_size": max(50, sum(self.sections.values()) // 4),
                "admit_interval_s": 1,
                "max_active_shoppers": max(100, sum(self.sections.values())),
                "session_ttl_s": 300,
                "mode": "random_at_open",
            },
        }
        r = await client.post("/api/v1/events", json=body, headers=self.organizer_auth)
        r.raise_for_status()
        self.event_id = r.json()["event_id"]
        r = await client.post(
            f"/api/v1/events/{self.event_id}/publish", headers=self.organizer_auth
        )
        r.raise_for_status()

    async def fan(
        self, client: httpx.AsyncClient, token: str, progress: Progress, task: Any
    ) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        queue = f"/api/v1/events/{self.event_id}/queue"
        try:
            r = await self.timed(client, "join", "POST", queue, headers=auth)
            status = r.json() if r.status_code < 300 else {}
            while status.get("state") in ("prequeue", "waiting"):
                await asyncio.sleep(min(float(status.get("poll_after_s", 1)), 2.0))
                r = await self.timed(client, "poll", "GET", queue, headers=auth)
                status = r.json() if r.status_code < 300 else {}
            if status.get("state") != "admitted":
                self.out.counts[f"ended_{status.get('state', 'error')}"] += 1
                return
            self.out.counts["admitted"] += 1
            await self.shop(client, auth, status["admission_token"])
            await self.timed(client, "leave", "DELETE", queue, headers=auth)
        finally:
            progress.advance(task)

    async def shop(self, client: httpx.AsyncClient, auth: dict[str, str], admission: str) -> None:
        sections = list(self.sections)
        self.rng.shuffle(sections)
        for section in sections:
            r = await self.timed(
                client,
                "hold",
                "POST",
                f"/api/v1/events/{self.event_id}/holds",
                json={"section": section, "quantity": self.rng.randint(1, 4)},
                headers={
                    **auth,
                    "X-Admission-Token": admission,
                    "Idempotency-Key": uuid.uuid4().hex,
                },
            )
            if r.status_code == 201:
                break
            code = r.json().get("code") if r.status_code >= 400 else None
            self.out.counts[f"hold_{code}"] += 1
        else:
            if self.out.sold_out_at is None:
                self.out.sold_out_at = time.monotonic() - self.started
            return
        hold = r.json()
        self.out.counts["holds"] += 1
        if self.rng.random() < self.abandon:
            self.out.counts["abandoned"] += 1
            if self.rng.random() < 0.5:
                await self.timed(
                    client, "release", "DELETE", f"/api/v1/holds/{hold['hold_id']}", headers=auth
                )
            return
        r = await self.timed(
            client,
            "checkout",
            "POST",
            f"/api/v1/holds/{hold['hold_id']}/checkout",
            json={"payment_method": "pm_card_visa"},
            headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
        )
        if r.status_code != 201:
            self.out.counts[f"checkout_{r.status_code}"] += 1
            return
        checkout = r.json()
        self.out.payment_intents.add(checkout["payment_intent_id"])
        t0 = time.perf_counter()
        for _ in range(300):
            o = await self.timed(
                client, "order_poll", "GET", f"/api/v1/orders/{checkout['order_id']}", headers=auth
            )
            if o.status_code == 200 and o.json()["status"] != "pending":
                self.out.counts[f"order_{o.json()['status']}"] += 1
                self.out.latencies["pay_to_confirmed"].append(time.perf_counter() - t0)
                return
            await asyncio.sleep(0.2)
        self.out.counts["order_stuck_pending"] += 1

    async def run(self) -> int:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60, limits=limits) as client:
            await self.create_event(client)
            users = await bulk_users(
                self.settings.database_url, self.settings.secret_key, self.fans
            )
            tokens = [access_token(self.settings, u) for u in users]
            self.started = time.monotonic()
            with Progress(
                TextColumn("[bold]fans done"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                task = progress.add_task("fans", total=self.fans, info="")
                watcher = asyncio.create_task(self.watch(progress, task))
                await asyncio.gather(*(self.fan(client, t, progress, task) for t in tokens))
                watcher.cancel()
            elapsed = time.monotonic() - self.started
            await self.drain(client)
            stats = (
                await client.get(
                    f"/api/v1/events/{self.event_id}/stats", headers=self.organizer_auth
                )
            ).json()
        checks = await self.check_invariants(stats)
        self.print_summary(elapsed, stats, checks)
        return 0 if all(ok for ok, _ in checks.values()) else 1

    async def watch(self, progress: Progress, task: Any) -> None:
        while True:
            c = self.out.counts
            progress.update(
                task,
                info=f"admitted {c['admitted']} holds {c['holds']} orders {c['order_confirmed']}",
            )
            await asyncio.sleep(0.5)

    async def drain(self, client: httpx.AsyncClient) -> None:
        """Wait until abandoned holds have expired and every checkout is settled."""
        deadline = time.monotonic() + self.hold_ttl_s + 30
        while time.monotonic() < deadline:
            r = await client.get(
                f"/api/v1/events/{self.event_id}/stats", headers=self.organizer_auth
            )
            if r.status_code == 200 and r.json()["holds_active"] == 0:
                return
            await asyncio.sleep(1)

    async def check_invariants(self, stats: dict[str, Any]) -> dict[str, tuple[bool, str]]:
        checks: dict[str, tuple[bool, str]] = {}
        conn = await asyncpg.connect(self.settings.database_url)
        try:
            rows = await conn.fetch(
                "SELECT code, capacity, sold FROM sections WHERE event_id = $1 ORDER BY code",
                uuid.UUID(self.event_id),
            )
            tickets = dict(
                await conn.fetch(
                    "SELECT section_code, count(*) FROM tickets WHERE event_id = $1 "
                    "AND voided_at IS NULL GROUP BY section_code",
                    uuid.UUID(self.event_id),
                )
            )
            orders = await conn.fetch(
                "SELECT payment_intent_id, status FROM orders WHERE event_id = $1",
                uuid.UUID(self.event_id),
            )
        finally:
            await conn.close()
        over = [
            r["code"]
            for r in rows
            if r["sold"] > r["capacity"] or tickets.get(r["code"], 0) > r["capacity"]
        ]
        checks["no oversell (Postgres)"] = (
            not over,
            f"over capacity: {over}" if over else "sold ≤ capacity",
        )
        redis_sections = {s["code"]: s for s in stats["sections"]}
        bad = [
            c
            for c, s in redis_sections.items()
            if s["available"] + s["held"] + s["sold"] != s["capacity"]
        ]
        checks["conservation (Redis)"] = (
            not bad,
            f"broken: {bad}" if bad else "available+held+sold = capacity",
        )
        disagree = [
            r["code"]
            for r in rows
            if redis_sections.get(r["code"], {}).get("sold") != r["sold"]
            or tickets.get(r["code"], 0) != r["sold"]
        ]
        checks["Redis ⇄ Postgres agree"] = (
            not disagree,
            f"disagree: {disagree}" if disagree else "sold and tickets match per section",
        )
        by_pi = {o["payment_intent_id"]: o["status"] for o in orders if o["payment_intent_id"]}
        unsettled = await self.unsettled_payments(by_pi)
        checks["no lost sale (Stripe ⇄ orders)"] = (
            not unsettled,
            f"{len(unsettled)} unsettled: {unsettled[:5]}"
            if unsettled
            else f"{len(self.out.payment_intents)} PaymentIntents each captured with a "
            "confirmed order or cancelled/refunded without one",
        )
        checks["no 5xx"] = (self.out.server_errors == 0, f"{self.out.server_errors} server errors")
        return checks

    async def unsettled_payments(self, by_pi: dict[str, str]) -> list[str]:
        from app.payments.gateway import gateway

        stripe = gateway(self.settings)
        bad: list[str] = []
        for pi_id in sorted(self.out.payment_intents):
            pi = await stripe.retrieve(pi_id)
            order = by_pi.get(pi_id)
            if pi.status == "succeeded" and order not in ("confirmed", "refunded"):
                bad.append(f"{pi_id}: captured, order {order}")
            elif pi.status == "requires_capture":
                bad.append(f"{pi_id}: still authorized, order {order}")
            elif pi.status == "canceled" and order == "confirmed":
                bad.append(f"{pi_id}: cancelled but order confirmed")
        return bad

    def print_summary(
        self, elapsed: float, stats: dict[str, Any], checks: dict[str, tuple[bool, str]]
    ) -> None:
        c = self.out.counts
        table = Table(
            title=f"Onsale simulation: {self.fans} fans, {sum(self.sections.values())} seats"
        )
        table.add_column("what")
        table.add_column("value", justify="right")
        sold_out = (
            f"{self.out.sold_out_at:.1f} s" if self.out.sold_out_at is not None else "not sold out"
        )
        for name, value in [
            ("run time", f"{elapsed:.1f} s"),
            ("time to sell-out", sold_out),
            ("admitted", c["admitted"]),
            ("holds", c["holds"]),
            ("abandoned holds (returned)", c["abandoned"]),
            ("orders confirmed", c["order_confirmed"]),
            ("orders cancelled", c["order_cancelled"]),
            ("refused sold_out", c["hold_sold_out"]),
            ("queue closed for", c["ended_closed"]),
            ("seats sold", sum(s["sold"] for s in stats["sections"])),
        ]:
            table.add_row(name, str(value))
        console.print(table)
        steps = Table(title="Latency per step (ms)")
        for col in ("step", "n", "p50", "p99"):
            steps.add_column(col, justify="right" if col != "step" else "left")
        for step, values in self.out.latencies.items():
            steps.add_row(
                step, str(len(values)), f"{_pct(values, 0.5):.1f}", f"{_pct(values, 0.99):.1f}"
            )
        console.print(steps)
        inv = Table(title="Invariants")
        inv.add_column("invariant")
        inv.add_column("ok")
        inv.add_column("detail")
        for name, (ok, detail) in checks.items():
            inv.add_row(name, "[green]yes[/]" if ok else "[red]NO[/]", detail)
        console.print(inv)


def parse_sections(spec: str | None, capacity: int) -> dict[str, int]:
    if not spec:
        return {"FLOOR": capacity}
    out: dict[str, int] = {}
    for part in spec.split(","):
        code, _, share = part.partition(":")
        out[code.strip().upper()] = int(share) if share else 0
    missing = [c for c, v in out.items() if v == 0]
    rest = capacity - sum(out.values())
    for code in missing:
        out[code] = max(1, rest // len(missing))
    return out


def run_simulation(
    settings: Settings,
    base_url: str,
    fans: int,
    capacity: int,
    sections: str | None,
    abandon: float,
    hold_ttl_s: int,
    concurrency: int,
    seed: int,
) -> int:
    sim = Simulation(
        settings,
        base_url,
        fans,
        parse_sections(sections, capacity),
        abandon=abandon,
        hold_ttl_s=hold_ttl_s,
        concurrency=concurrency,
        seed=seed,
    )
    return asyncio.run(sim.run())
