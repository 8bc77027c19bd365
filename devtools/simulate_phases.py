"""`onsale simulate --phases`: a presale for access-code holders, then the general sale,
driven over HTTP by simulated fans, with the invariants checked at the end of each phase.

The presale sells only its section (FLOOR), at most PRESALE_LIMIT tickets a hold, to the
fans who hold a code (one each), with its own waiting-room batch; the general sale opens
SETTLE_S after the presale closes, sells every section, and shuffles its own pre-queue at
its opening (the fans who entered for it before then) with its own seed. At each phase's
end: the sale's invariants (no oversell, conservation, Redis and Postgres agreeing, no
lost sale, no 5xx, as `onsale simulate` checks them) and the phase's own (its audience,
its sections and limit, its figures adding up); after the general sale, its shuffle is
recomputed from the phase's revealed seed and entrant export.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from rich.table import Table

from app.core import keys
from app.core.redis import create_redis
from app.core.settings import Settings
from devtools.bench.stack import access_token, bulk_users
from devtools.simulate import Simulation, console
from waiting_room import fairness
from waiting_room.members import member_of

PRESALE = "FLOOR"
PRESALE_LIMIT = 2
# Between the presale's close and the general sale's opening: the presale settles, and the
# general sale's fans gather in its pre-queue.
SETTLE_S = 6.0
ORDER_WAIT_S = 60.0
ADMIT_WAIT_S = 120.0


class PhasedSale:
    def __init__(
        self,
        settings: Settings,
        base_url: str,
        fans: int,
        capacity: int,
        *,
        hold_ttl_s: int,
        concurrency: int,
        seed: int,
        presale_s: float,
    ) -> None:
        self.settings = settings
        self.base_url = base_url
        self.fans = fans
        self.presale_fans = max(1, fans // 3)
        floor = max(1, capacity // 2)
        self.sections = {PRESALE: floor, "BALCONY": max(1, capacity - floor)}
        self.hold_ttl_s = hold_ttl_s
        self.gate = asyncio.Semaphore(max(1, concurrency))
        self.rng = random.Random(seed)
        self.presale_s = presale_s
        self.sim = Simulation(
            settings,
            base_url,
            fans,
            self.sections,
            abandon=0.0,
            hold_ttl_s=hold_ttl_s,
            concurrency=concurrency,
            seed=seed,
            processes=1,
        )
        self.counts: Counter[str] = Counter()
        # (account, section, quantity) of every hold made, per phase.
        self.holds: dict[str, list[tuple[str, str, int]]] = {"presale": [], "general": []}
        self.org: dict[str, str] = {}
        self.event_id = ""
        self.phase_ids: dict[str, str] = {}
        self.general_opens = datetime.now(UTC)

    # --- the HTTP of one fan ---------------------------------------------------------

    async def call(
        self, client: httpx.AsyncClient, method: str, path: str, **kw: Any
    ) -> httpx.Response:
        async with self.gate:
            r = await client.request(method, path, **kw)
        if r.status_code >= 500:
            self.sim.out.server_errors += 1
        self.sim.out.requests += 1
        return r

    async def fan(
        self, client: httpx.AsyncClient, token: str, user_id: str, phase: str, code: str | None
    ) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        queue = f"/api/v1/events/{self.event_id}/queue"
        r = await self.call(
            client, "POST", queue, json={"access_code": code} if code else None, headers=auth
        )
        if r.status_code not in (200, 201):
            self.counts[f"{phase}: join {r.json().get('code')}"] += 1
            return
        status = r.json()
        deadline = time.monotonic() + ADMIT_WAIT_S
        while status.get("state") in ("prequeue", "waiting") and time.monotonic() < deadline:
            await asyncio.sleep(min(float(status.get("poll_after_s", 1)), 1.0))
            status = (await self.call(client, "GET", queue, headers=auth)).json()
        if status.get("state") != "admitted":
            self.counts[f"{phase}: ended {status.get('state')}"] += 1
            return
        self.counts[f"{phase}: admitted"] += 1
        await self.shop(client, auth, user_id, phase, status["admission_token"])
        await self.call(client, "DELETE", queue, headers=auth)

    async def shop(
        self,
        client: httpx.AsyncClient,
        auth: dict[str, str],
        user_id: str,
        phase: str,
        admission: str,
    ) -> None:
        if phase == "presale":
            # A presale fan tries what the phase refuses first: another section, more than
            # its limit; then what it allows.
            asks = [("BALCONY", 1), (PRESALE, PRESALE_LIMIT + 1), (PRESALE, PRESALE_LIMIT)]
        else:
            sections = list(self.sections)
            self.rng.shuffle(sections)
            asks = [(s, self.rng.randint(1, 4)) for s in sections]
        hold: dict[str, Any] | None = None
        for section, quantity in asks:
            r = await self.call(
                client,
                "POST",
                f"/api/v1/events/{self.event_id}/holds",
                headers={
                    **auth,
                    "X-Admission-Token": admission,
                    "Idempotency-Key": uuid.uuid4().hex,
                },
                json={"section": section, "quantity": quantity},
            )
            if r.status_code == 201:
                hold = r.json()
                self.holds[phase].append((user_id, section, quantity))
                break
            self.counts[f"{phase}: hold {r.json().get('code')}"] += 1
        if hold is None:
            return
        r = await self.call(
            client,
            "POST",
            f"/api/v1/holds/{hold['hold_id']}/checkout",
            headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
            json={"payment_method": "pm_card_visa"},
        )
        if r.status_code != 201:
            self.counts[f"{phase}: checkout {r.json().get('code')}"] += 1
            return
        checkout = r.json()
        self.sim.out.payment_intents.add(checkout["payment_intent_id"])
        deadline = time.monotonic() + ORDER_WAIT_S
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            o = await self.call(
                client, "GET", f"/api/v1/orders/{checkout['order_id']}", headers=auth
            )
            if o.status_code == 200 and o.json()["status"] != "pending":
                self.counts[f"{phase}: order {o.json()['status']}"] += 1
                return
        self.counts[f"{phase}: order stuck pending"] += 1

    # --- the organizer's side --------------------------------------------------------

    async def setup(self, client: httpx.AsyncClient) -> None:
        (organizer,) = await bulk_users(
            self.settings.database_url, self.settings.secret_key, 1, "organizer"
        )
        self.org = {"Authorization": f"Bearer {access_token(self.settings, organizer)}"}
        now = datetime.now(UTC)
        presale_opens = now + timedelta(seconds=1)
        presale_closes = presale_opens + timedelta(seconds=self.presale_s)
        self.general_opens = presale_closes + timedelta(seconds=SETTLE_S)
        body = {
            "name": f"Simulated phased onsale {now:%H:%M:%S}",
            "venue": "Simulation Arena",
            "starts_at": (now + timedelta(days=7)).isoformat(),
            "timezone": "UTC",
            "onsale_at": presale_opens.isoformat(),
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
                "admit_batch_size": 50,
                "admit_interval_s": 1,
                "max_active_shoppers": 1000,
                "session_ttl_s": 300,
            },
        }
        r = await client.post("/api/v1/events", json=body, headers=self.org)
        r.raise_for_status()
        self.event_id = r.json()["event_id"]
        phases = {
            "presale": {
                "name": "Fan club presale",
                "audience": "code",
                "opens_at": presale_opens.isoformat(),
                "closes_at": presale_closes.isoformat(),
                "sections": [PRESALE],
                "max_per_user": PRESALE_LIMIT,
                "room": {"admit_batch_size": 5, "admit_interval_s": 1},
            },
            "general": {
                "name": "General sale",
                "audience": "everyone",
                "opens_at": self.general_opens.isoformat(),
                "closes_at": (now + timedelta(days=6)).isoformat(),
                "room": {"mode": "random_at_open", "prequeue_opens_at": presale_closes.isoformat()},
            },
        }
        for key, phase in phases.items():
            r = await client.post(
                f"/api/v1/events/{self.event_id}/phases", json=phase, headers=self.org
            )
            r.raise_for_status()
            self.phase_ids[key] = r.json()["phase_id"]
        r = await client.post(f"/api/v1/events/{self.event_id}/publish", headers=self.org)
        r.raise_for_status()

    async def figures(self, client: httpx.AsyncClient) -> dict[str, dict[str, int]]:
        r = await client.get(f"/api/v1/events/{self.event_id}/phases", headers=self.org)
        r.raise_for_status()
        by_id = {p["phase_id"]: p for p in r.json()["items"]}
        return {key: by_id[pid]["figures"] for key, pid in self.phase_ids.items()}

    async def settle(self, client: httpx.AsyncClient) -> dict[str, Any]:
        """The event's stats once no hold is active (abandoned holds expire)."""
        deadline = time.monotonic() + self.hold_ttl_s + 30
        while True:
            r = await client.get(f"/api/v1/events/{self.event_id}/stats", headers=self.org)
            stats: dict[str, Any] = r.json()
            if stats["holds_active"] == 0 or time.monotonic() > deadline:
                return stats
            await asyncio.sleep(1)

    async def sold_by_section(self) -> dict[str, int]:
        conn = await asyncpg.connect(self.settings.database_url)
        try:
            rows = await conn.fetch(
                "SELECT section_code, count(*) FROM tickets WHERE event_id = $1 "
                "AND voided_at IS NULL GROUP BY section_code",
                uuid.UUID(self.event_id),
            )
        finally:
            await conn.close()
        return {r["section_code"]: int(r["count"]) for r in rows}

    # --- the run ---------------------------------------------------------------------

    async def run(self) -> int:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60, limits=limits) as client:
            await self.setup(client)
            self.sim.event_id = self.event_id
            users = await bulk_users(
                self.settings.database_url, self.settings.secret_key, self.fans
            )
            tokens = [access_token(self.settings, u) for u in users]
            presale, general = range(self.presale_fans), range(self.presale_fans, self.fans)
            r = await client.post(
                f"/api/v1/events/{self.event_id}/phases/{self.phase_ids['presale']}/codes",
                json={"count": self.presale_fans},
                headers=self.org,
            )
            r.raise_for_status()
            codes: list[str] = r.json()["codes"]
            await asyncio.sleep(1.2)  # the presale opens
            checks: dict[str, dict[str, tuple[bool, str]]] = {}

            # A code is one account's: the first fan's code, tried by another, is refused.
            first = await self.fan_join(client, tokens[0], codes[0])
            other = await self.fan_join(client, tokens[-1], codes[0])
            await asyncio.gather(
                *(
                    self.fan(client, tokens[i], users[i].user_id, "presale", codes[i])
                    for i in presale
                )
            )
            # The presale's window ends.
            closes = self.general_opens - timedelta(seconds=SETTLE_S)
            await asyncio.sleep(max(0.0, (closes - datetime.now(UTC)).total_seconds()))
            stats = await self.settle(client)
            checks["presale"] = {
                **await self.sim.check_invariants(stats),
                **self.presale_checks(first, other, await self.sold_by_section(),
                                      await self.figures(client), stats),
            }  # fmt: skip

            # The general sale: its fans enter its pre-queue, then it opens and shuffles.
            joined_before = 0
            tasks = []
            for i in general:
                tasks.append(
                    asyncio.ensure_future(
                        self.fan(client, tokens[i], users[i].user_id, "general", None)
                    )
                )
            await asyncio.sleep(0.5)
            if datetime.now(UTC) < self.general_opens:
                joined_before = len(tasks)
            await asyncio.gather(*tasks)
            stats = await self.settle(client)
            checks["general"] = {
                **await self.sim.check_invariants(stats),
                **await self.general_checks(client, stats, joined_before),
            }
        self.print(checks)
        return 0 if all(ok for phase in checks.values() for ok, _ in phase.values()) else 1

    async def fan_join(self, client: httpx.AsyncClient, token: str, code: str) -> int:
        r = await self.call(
            client,
            "POST",
            f"/api/v1/events/{self.event_id}/queue",
            json={"access_code": code},
            headers={"Authorization": f"Bearer {token}"},
        )
        return r.status_code

    def presale_checks(
        self,
        first: int,
        other: int,
        sold: dict[str, int],
        figures: dict[str, dict[str, int]],
        stats: dict[str, Any],
    ) -> dict[str, tuple[bool, str]]:
        holds = self.holds["presale"]
        outside = [s for _, s, _ in holds if s != PRESALE]
        over = [q for _, _, q in holds if q > PRESALE_LIMIT]
        refused = self.counts["presale: hold section_not_in_phase"]
        limited = self.counts["presale: hold limit_exceeded"]
        fig = figures["presale"]
        total_sold = sum(s["sold"] for s in stats["sections"])
        return {
            "presale: its audience only": (
                first in (200, 201) and other == 403 and fig["redeemed"] == self.presale_fans,
                f"a code works for its first account ({first}) and not another ({other}); "
                f"{fig['redeemed']} of {fig['codes']} codes used",
            ),
            "presale: its section and limit": (
                not outside and not over and refused > 0 and limited > 0
                and set(sold) <= {PRESALE},
                f"holds only in {PRESALE}, ≤ {PRESALE_LIMIT} each; refused: {refused} "
                f"section_not_in_phase, {limited} limit_exceeded; sold {sold}",
            ),
            "presale: its figures add up": (
                fig["sold"] == total_sold == sold.get(PRESALE, 0) and fig["held"] == 0,
                f"joined {fig['joined']}, admitted {fig['admitted']}, sold {fig['sold']} "
                f"(Redis {total_sold})",
            ),
        }  # fmt: skip

    async def general_checks(
        self, client: httpx.AsyncClient, stats: dict[str, Any], joined_before: int
    ) -> dict[str, tuple[bool, str]]:
        figures = await self.figures(client)
        total_sold = sum(s["sold"] for s in stats["sections"])
        pid = self.phase_ids["general"]
        r = await client.get(
            f"/api/v1/events/{self.event_id}/phases/{pid}/entrants", headers=self.org
        )
        proof = r.json()
        seed = proof.get("seed") or ""
        entrants = [e["user_id"] for e in proof.get("entrants", [])]
        order = fairness.draw_order(seed, entrants) if seed else []
        # The room admitted the entrants in that order: the turns stream has one entry per
        # admission, in admission order.
        redis = create_redis(self.settings.redis_url, pool_size=2, cluster=self.settings.cluster)
        try:
            turns = await redis.xrange(keys.queue_turns(self.event_id))
        finally:
            await redis.aclose()
        by_member = {member_of(u): u for u in entrants}
        admitted = [by_member[f["m"]] for _, f in turns if f.get("m") in by_member]
        sections = {s for _, s, _ in self.holds["general"]}
        return {
            "general: every section on sale": (
                len(sections) > 1 or total_sold == sum(self.sections.values()),
                f"holds in {sorted(sections)}",
            ),
            "general: figures per phase add up": (
                figures["presale"]["sold"] + figures["general"]["sold"] == total_sold,
                f"presale {figures['presale']['sold']} + general {figures['general']['sold']}"
                f" = {total_sold} sold",
            ),
            "general: its own shuffle, reproducible": (
                proof.get("sealed") is True
                and fairness.seed_matches(seed, proof.get("seed_sha256", ""))
                and admitted == order[: len(admitted)]
                and (joined_before == 0 or len(entrants) > 0),
                f"{len(entrants)} pre-queue entrants, seed matches its commitment; the "
                f"{len(admitted)} admitted went in in the order recomputed from the seed",
            ),
        }

    def print(self, checks: dict[str, dict[str, tuple[bool, str]]]) -> None:
        table = Table(title=f"Phased onsale: {self.fans} fans, {sum(self.sections.values())} seats")
        table.add_column("phase · invariant")
        table.add_column("holds")
        table.add_column("detail")
        for phase, rows in checks.items():
            for name, (ok, detail) in rows.items():
                table.add_row(f"{phase} · {name}", "yes" if ok else "NO", detail)
        console.print(table)
        counts = Table(title="What the fans met")
        counts.add_column("what")
        counts.add_column("count", justify="right")
        for name, n in sorted(self.counts.items()):
            counts.add_row(name, str(n))
        console.print(counts)


def run_phased(
    settings: Settings,
    base_url: str,
    fans: int,
    capacity: int,
    hold_ttl_s: int,
    concurrency: int,
    seed: int,
    presale_s: float,
) -> int:
    sale = PhasedSale(
        settings,
        base_url,
        fans,
        capacity,
        hold_ttl_s=hold_ttl_s,
        concurrency=concurrency,
        seed=seed,
        presale_s=presale_s,
    )
    return asyncio.run(sale.run())
