"""`onsale simulate`: a whole onsale driven by N simulated fans over HTTP, invariants checked.

Fans are created directly in Postgres (argon2 registration costs ~50 ms of
CPU each and is not what an onsale measures) and get access tokens signed
with the instance's secret; everything else goes through the public API
exactly as a fan's app would: join, poll, hold, check out, poll the order.

The figures are meant to be true: a step's latency is send to response only
(the wait for a free slot under --concurrency is not in it); the fans run in
one or more processes (--processes), each reporting its own CPU use and event
loop lag, and a process that is the bottleneck (busy ≥ 85 % of a core, or its
loop late by more than 50 ms at p99) is named in a warning, because then its
latencies include its own backlog; and the API's own percentiles per step,
from the histogram deltas of its /metrics over the run, are printed beside.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import math
import multiprocessing
import os
import queue as queue_mod
import random
import re
import signal
import time
import uuid
from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import msgspec
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.core.security import Principal, b64url_decode
from app.core.settings import Settings
from app.queue.receipt import Receipt, ahead_bound
from devtools import rawhttp
from devtools.bench.stack import access_token, bulk_users
from devtools.calibration import Calibration, pace_room

console = Console()

# A simulator process busier than this share of one core, or whose event loop wakes
# later than this at p99, is queueing requests itself: its latencies include that.
BUSY_SHARE = 0.85
LAG_P99_MS = 50.0
# Fans per process when --processes is left to the simulator.
FANS_PER_PROCESS = 5000
# A fan far from the front reads the public room snapshot at most this often (the fan
# app reads it every 5 s); the snapshot is `max-age=1`, so one process fetches it at
# most once a second for all its fans, as the cache in front of the API would.
ROOM_EVERY_S = 5.0
ROOM_MAX_AGE_S = 1.0
# Once SIGINT/SIGTERM has asked the fan processes to stop, how long they get to hand
# back what they did before they are terminated.
STOP_GRACE_S = 10.0
# The steps of an admitted fan have their own shares of the connections: a fan with a
# hold (checkout, order poll, release) never queues behind the next batch's holds, and
# neither queues behind the crowd's polls, while a hold's time runs out.
SHOP_STEPS = frozenset({"hold", "leave"})
PAY_STEPS = frozenset({"checkout"})
# A fan who paid reads its order on its own share: measured at 20,000 fans, its reads
# queued behind the next fans' checkouts for 40 s while Postgres had the order confirmed
# in 2.6 s. (Checkouts stay bounded: 2,000 at once, a connection per paying fan, made the
# Stripe stand-in time out until finalize jobs retried for minutes.)
ORDER_STEPS = frozenset({"order_poll", "release"})
# A pending order is read again after these pauses (s), the last repeating: the fan app's
# pace (app/web/fan/views/order.js), up to ORDER_WAIT_S in all.
ORDER_POLL_S = (0.5, 0.5, 1.0, 1.0, 2.0, 3.0, 5.0)
ORDER_WAIT_S = 120.0
# The no-lost-sale check reads every PaymentIntent back from Stripe: each read gets at most
# STRIPE_CALL_S, all of them STRIPE_CHECK_S (a stand-in swamped by the run must not stall
# the summary; what it did not answer is reported unverified, and the check fails).
STRIPE_CALL_S = 10.0
STRIPE_CHECK_S = 300.0
# Pay → confirmed as Postgres recorded it, from the checkout sent and from its answer.
PAY_SENT = "pay → confirmed (Postgres, from checkout sent)"
PAY_ANSWERED = "pay → confirmed (Postgres, from checkout answered)"
# A parked fan is one int in a heap: (the place its receipt claims + KEY_OFFSET) << IDX_BITS
# | its index among the process's fans (up to 4 million per process).
IDX_BITS = 22
IDX_MASK = (1 << IDX_BITS) - 1
KEY_OFFSET = 1 << 40
# The API's own latency histogram and the route (method, template) of each step.
HTTP_HISTOGRAM = "onsale_http_request_duration_seconds"
STEP_ROUTES = {
    "join": ("POST", "/api/v1/events/{event_id}/queue"),
    "poll": ("GET", "/api/v1/events/{event_id}/queue"),
    "leave": ("DELETE", "/api/v1/events/{event_id}/queue"),
    "room": ("GET", "/api/v1/events/{event_id}/room"),
    "hold": ("POST", "/api/v1/events/{event_id}/holds"),
    "release": ("DELETE", "/api/v1/holds/{hold_id}"),
    "checkout": ("POST", "/api/v1/holds/{hold_id}/checkout"),
    "order_poll": ("GET", "/api/v1/orders/{order_id}"),
}


@dataclass
class Outcome:
    """What one process's fans did, per step and in total (merged over processes)."""

    # Seconds per step, 8 bytes each (a million fans send millions of requests).
    latencies: dict[str, array[float]] = field(default_factory=lambda: defaultdict(_seconds))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    payment_intents: set[str] = field(default_factory=set)
    server_errors: int = 0
    # Requests that got no whole response after every retry (refused, lost, timed out).
    transport_failures: int = 0
    sold_out_at: float | None = None
    requests: int = 0
    # Calibration of QueueStatus.chance: what each fan (by token) was shown, who got seats.
    chances: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    got: set[str] = field(default_factory=set)
    # (order id, checkout sent, checkout answered), epoch seconds: pay → confirmed is read
    # from the order's confirmed_at in Postgres, whatever the fans' polling pace.
    paid: list[tuple[str, float, float]] = field(default_factory=list)
    # Answers per step per wall second (epoch s): the peak rates, over every process.
    per_second: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    # The most fans parked at once (each reads the room snapshot every ROOM_EVERY_S).
    parked_peak: int = 0

    def to_builtins(self) -> dict[str, Any]:
        return {
            "latencies": dict(self.latencies),
            "counts": dict(self.counts),
            "payment_intents": sorted(self.payment_intents),
            "server_errors": self.server_errors,
            "transport_failures": self.transport_failures,
            "sold_out_at": self.sold_out_at,
            "requests": self.requests,
            "chances": dict(self.chances),
            "got": sorted(self.got),
            "paid": self.paid,
            "per_second": {step: dict(c) for step, c in self.per_second.items()},
            "parked_peak": self.parked_peak,
        }

    def merge(self, other: dict[str, Any]) -> None:
        for step, values in other["latencies"].items():
            self.latencies[step].extend(values)
        for name, n in other["counts"].items():
            self.counts[name] += n
        self.payment_intents.update(other["payment_intents"])
        self.server_errors += other["server_errors"]
        self.transport_failures += other.get("transport_failures", 0)
        self.requests += other["requests"]
        for fan, shown in other["chances"].items():
            self.chances[fan].extend(shown)
        self.got.update(other["got"])
        self.paid.extend(other.get("paid", []))
        for step, seconds in other.get("per_second", {}).items():
            self.per_second[step].update(seconds)
        self.parked_peak += other.get("parked_peak", 0)
        if other["sold_out_at"] is not None:
            self.sold_out_at = min(self.sold_out_at or other["sold_out_at"], other["sold_out_at"])


def _seconds() -> array[float]:
    return array("d")


def _pct(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


@dataclass(frozen=True)
class FanPlan:
    """What every fan process needs (picklable)."""

    base_url: str
    event_id: str
    sections: dict[str, int]
    abandon: float
    concurrency: int
    seed: int
    started_at: float  # epoch seconds, shared by every process
    near_front: int  # fans this close to the front poll their own status (a batch)
    own_every_s: float  # and, if > 0, every fan at least this often (calibration runs)
    parent_pid: int  # the fans stop when this process is gone


def receipt_of(status: dict[str, Any]) -> Receipt | None:
    """The claim of a QueueStatus's receipt, read without the key (as a fan's client does)."""
    code = status.get("receipt")
    parts = code.split(".") if isinstance(code, str) else []
    if len(parts) != 3:
        return None
    try:
        return msgspec.json.decode(b64url_decode(parts[1]), type=Receipt)
    except (ValueError, msgspec.DecodeError):
        return None


class Fans:
    """The fans of one process: join, wait, hold, check out, poll the order.

    A fan is a coroutine only while it talks to the API (its join, its own status near
    the front, its shop). A waiting fan far from the front is parked: an entry in a heap
    keyed by the place its receipt claims, woken at its next look at the room snapshot
    once the admissions before that look could reach it. So a million waiting fans cost
    a few hundred bytes each (their token and a heap entry), not a task, a frame and a
    timer each, and the process's CPU goes to the requests the API really sees.
    """

    def __init__(self, plan: FanPlan, progress: Any, stop: Any, tokens: list[str] | None = None):
        self.plan = plan
        self.event_id = plan.event_id
        self.sections = plan.sections
        self.abandon = plan.abandon
        self.tokens = tokens or []
        # A quarter of --concurrency (at least one) for holding, as much for checkouts, the
        # rest for joins and polls; and a quarter more for paid fans reading their orders.
        self.share = max(1, plan.concurrency // 4)
        self.general = max(1, plan.concurrency - 2 * self.share)
        self.connections = self.general + 3 * self.share
        self.stop = stop
        self.room: dict[str, Any] = {}
        self.room_at = -ROOM_MAX_AGE_S
        self.rng = random.Random(plan.seed)
        self.out = Outcome()
        self.progress = progress
        self.done = 0
        self.lags: list[float] = []
        # (wall, CPU) twice a second: the busiest 10 s, which a whole-run average hides.
        self.cpu_marks: list[tuple[float, float]] = []
        n = len(self.tokens)
        # Parked fans: `line` is a heap of (place claimed by the receipt) << IDX_BITS | fan;
        # `prequeued` waits for the open; `looks` are fans near the front, woken at their
        # next look at the snapshot. Each fan looks at its own phase of ROOM_EVERY_S.
        self.line: list[int] = []
        self.prequeued: list[int] = []
        self.looks: list[tuple[float, int]] = []
        self.phase = array("f", (self.rng.uniform(0, ROOM_EVERY_S) for _ in range(n)))
        self.parked_s = 0.0  # fan-seconds parked: each fan reads the snapshot every 5 s
        self.parked = 0
        # The first chance each fan was shown (NaN: none), and every later one.
        self.first_chance = array("f", [math.nan]) * n
        self.more_chances: list[tuple[int, float]] = []
        self.got: list[int] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.finished = asyncio.Event()
        self.crash: Exception | None = None
        self.rss_peak = 0

    # The connections, made in run() (they belong to its event loop).
    pool: rawhttp.Pool
    shop_pool: rawhttp.Pool
    pay_pool: rawhttp.Pool
    order_pool: rawhttp.Pool

    async def timed(
        self,
        step: str,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        json: Any = None,
    ) -> rawhttp.Response:
        pool = (
            self.pay_pool
            if step in PAY_STEPS
            else self.order_pool
            if step in ORDER_STEPS
            else self.shop_pool
            if step in SHOP_STEPS
            else self.pool
        )
        for attempt in range(4):
            try:
                # Send to response only: the wait for a free connection is the simulator's own.
                r, latency = await pool.request(method, path, headers, json)
                break
            except rawhttp.TransportError:
                # A keep-alive connection the server closed while it sat idle: every
                # request here is safe to send again (GETs, joins, Idempotency-Keys).
                self.out.counts["retried_connection"] += 1
                if attempt == 3:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))
        self.out.latencies[step].append(latency)
        self.out.per_second[step][int(time.time())] += 1
        self.out.requests += 1
        if r.status_code >= 500:
            self.out.server_errors += 1
        return r

    def auth(self, i: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[i]}"}

    async def ask(self, i: int, step: str, method: str) -> dict[str, Any]:
        """The fan's own QueueStatus (join or poll); {} on an error."""
        r = await self.timed(step, method, f"/api/v1/events/{self.event_id}/queue", self.auth(i))
        status: dict[str, Any] = r.json() if r.status_code < 300 else {}
        chance = status.get("chance")
        if isinstance(chance, int | float) and status.get("state") in ("prequeue", "waiting"):
            if math.isnan(self.first_chance[i]):
                self.first_chance[i] = float(chance)
            else:
                self.more_chances.append((i, float(chance)))
        return status

    def start(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def end(self, counted: str | None = None) -> None:
        if counted:
            self.out.counts[counted] += 1
        self.done += 1
        if self.done >= len(self.tokens):
            self.finished.set()

    async def guarded(self, i: int, status: dict[str, Any] | None) -> None:
        """A fan's turn at the API; a request that never got an answer ends that fan only."""
        try:
            await self.follow(i, status)
        except rawhttp.TransportError:
            self.out.transport_failures += 1
            self.end("ended_no_answer")
        except Exception as exc:  # a bug here, or an answer no fan app expects: fail loudly
            self.fail(exc)

    def fail(self, exc: Exception) -> None:
        """End this process's run with `exc` (its traceback is printed, and the simulator
        names the failed process), rather than leave a fan that never ends."""
        self.crash = self.crash or exc
        self.finished.set()

    async def join(self, fans: Any) -> None:
        """One of the joiners: each takes the next fan, joins, and hands it on."""
        for i in fans:
            try:
                status = await self.ask(i, "join", "POST")
            except rawhttp.TransportError:
                self.out.transport_failures += 1
                self.end("ended_no_answer")
                continue
            except Exception as exc:
                self.fail(exc)
                return
            waiting = status.get("state") in ("prequeue", "waiting")
            if waiting and not self.plan.own_every_s and not self.near_front(status):
                self.park(i, status)
                continue
            self.start(self.guarded(i, status))

    async def follow(self, i: int, status: dict[str, Any] | None) -> None:
        """The fan's own status in hand (None: ask it now): near the front it asks again at
        `poll_after_s` (≤ 2 s), far from it parks, admitted it shops."""
        if status is None:
            status = await self.ask(i, "poll", "GET")
        while status.get("state") in ("prequeue", "waiting"):
            if self.plan.own_every_s:
                await self.wait_for_own_turn(status)
            elif not self.near_front(status):
                self.park(i, status)
                return
            else:
                await asyncio.sleep(min(float(status.get("poll_after_s", 1)), 2.0))
            status = await self.ask(i, "poll", "GET")
        if status.get("state") != "admitted":
            self.end(f"ended_{status.get('state', 'error')}")
            return
        self.out.counts["admitted"] += 1
        await self.shop(i, status["admission_token"])
        await self.timed("leave", "DELETE", f"/api/v1/events/{self.event_id}/queue", self.auth(i))
        self.end()

    async def wait_for_own_turn(self, status: dict[str, Any]) -> None:
        """Calibration runs: the fan reads the snapshot every ≤ 5 s and asks its own status
        once near the front or `own_every_s` after its last ask."""
        asked = time.monotonic()
        while not self.near_front(status) and time.monotonic() - asked < self.plan.own_every_s:
            await asyncio.sleep(
                min(float(status.get("poll_after_s", ROOM_EVERY_S)), ROOM_EVERY_S)
                * self.rng.uniform(0.9, 1.1)
            )
            self.out.counts["room_reads"] += 1

    def park(self, i: int, status: dict[str, Any]) -> None:
        """A waiting fan far from the front stops being a coroutine until its turn nears."""
        claim = receipt_of(status)
        if status.get("state") == "prequeue" or claim is None:
            self.prequeued.append(i)
        else:
            key = claim.position - claim.admitted_through + KEY_OFFSET
            heapq.heappush(self.line, key << IDX_BITS | i)
        self.parked += 1
        self.parked_s -= time.monotonic()

    def unpark(self, i: int, now: float) -> None:
        """Wake a parked fan at its next look at the snapshot (it asks its own status then)."""
        self.parked -= 1
        self.parked_s += now
        next_look = now + (self.phase[i] - now) % ROOM_EVERY_S
        heapq.heappush(self.looks, (next_look, i))

    def lead(self) -> float:
        """How near the front a fan asks for itself: a batch, plus the admissions of its
        ≤ 5.5 s sleep and a snapshot up to a second old (so it is never a no-show)."""
        per_s = float(self.room.get("admit_rate_per_min") or 0) / 60
        return self.plan.near_front + per_s * (ROOM_EVERY_S * 1.1 + ROOM_MAX_AGE_S)

    def wake(self, now: float) -> None:
        """Move parked fans whose turn nears to their next look, and start those due."""
        state = self.room.get("state")
        if state == "closed":
            # Closed means no seat available or held: a parked fan far back reads that on
            # its next look and stops, as the fan app does, without a call of its own.
            for _ in range(len(self.line) + len(self.prequeued)):
                self.parked_s += now
                self.parked -= 1
                self.end("ended_closed_room")
            self.line.clear()
            self.prequeued.clear()
        elif state == "open":
            # The room opened: a fan who joined the pre-queue has a new place to ask for.
            for i in self.prequeued:
                self.unpark(i, now)
            self.prequeued.clear()
            through = int(self.room.get("admitted_through") or 0)
            # ahead_bound(claim, through) < lead, for a heap keyed by position - claim's count.
            bound = through + 1 + self.lead() + KEY_OFFSET
            while self.line and (self.line[0] >> IDX_BITS) < bound:
                self.unpark(heapq.heappop(self.line) & IDX_MASK, now)
        while self.looks and self.looks[0][0] <= now:
            _, i = heapq.heappop(self.looks)
            self.start(self.guarded(i, None))

    def near_front(self, status: dict[str, Any]) -> bool:
        """Whether this fan's own status is worth a call, as the waiting room's documentation says:
        the room snapshot bounds the people ahead; within a batch of the front, ask."""
        room_state = self.room.get("state")
        if room_state == "closed" or room_state is None:
            return True  # no snapshot yet, or the room closed: only our own status tells
        if room_state in ("prequeue", "paused"):
            return False  # nobody is admitted until the room opens (or resumes)
        if status.get("state") == "prequeue":
            return True  # the room opened: our place in the shuffled line is new
        claim = receipt_of(status)
        if claim is None:
            return True
        # A fan looks again only after its next sleep and a snapshot up to a second old:
        # it asks once the admissions of that span could reach it, so it is never skipped
        # as a no-show for having waited on the snapshot.
        return ahead_bound(claim, int(self.room["admitted_through"])) < self.lead()

    async def read_room(self) -> None:
        """The process's read of the public snapshot, once a second for all its fans (what
        the `max-age=1` cache in front of the API would fetch)."""
        r = await self.timed("room", "GET", f"/api/v1/events/{self.event_id}/room")
        self.room_at = time.monotonic()
        if r.status_code == 200:
            self.room = r.json()

    async def looker(self) -> None:
        """The snapshot once a second, and every 50 ms the parked fans whose look is due."""
        reading: asyncio.Task[None] | None = None
        while True:
            now = time.monotonic()
            if now - self.room_at >= ROOM_MAX_AGE_S and (reading is None or reading.done()):
                self.room_at = now
                reading = asyncio.ensure_future(self.read_room())
            self.wake(now)
            await asyncio.sleep(0.05)

    async def shop(self, i: int, admission: str) -> None:
        sections = list(self.sections)
        self.rng.shuffle(sections)
        auth = self.auth(i)
        for section in sections:
            r = await self.timed(
                "hold",
                "POST",
                f"/api/v1/events/{self.event_id}/holds",
                {**auth, "X-Admission-Token": admission, "Idempotency-Key": uuid.uuid4().hex},
                {"section": section, "quantity": self.rng.randint(1, 4)},
            )
            if r.status_code == 201:
                break
            code = r.json().get("code") if r.status_code >= 400 else None
            self.out.counts[f"hold_{code}"] += 1
        else:
            if self.out.sold_out_at is None:
                self.out.sold_out_at = time.time() - self.plan.started_at
            return
        hold = r.json()
        self.out.counts["holds"] += 1
        self.got.append(i)
        if self.rng.random() < self.abandon:
            self.out.counts["abandoned"] += 1
            if self.rng.random() < 0.5:
                await self.timed("release", "DELETE", f"/api/v1/holds/{hold['hold_id']}", auth)
            return
        r = await self.timed(
            "checkout",
            "POST",
            f"/api/v1/holds/{hold['hold_id']}/checkout",
            {**auth, "Idempotency-Key": uuid.uuid4().hex},
            {"payment_method": "pm_card_visa"},
        )
        if r.status_code != 201:
            code = r.json().get("code") if r.status_code >= 400 else None
            self.out.counts[f"checkout_{r.status_code}_{code}"] += 1
            return
        checkout = r.json()
        self.out.payment_intents.add(checkout["payment_intent_id"])
        answered = time.time()
        # Sent when written to the API: the wait for one of the simulator's connections is
        # its own queue, not the sale's.
        sent = answered - self.out.latencies["checkout"][-1]
        self.out.paid.append((checkout["order_id"], sent, answered))
        await self.await_order(checkout["order_id"], auth)

    async def await_order(self, order_id: str, auth: dict[str, str]) -> None:
        """Read the order at the fan app's pace until it is no longer pending."""
        t0 = time.perf_counter()
        tries = 0
        while time.perf_counter() - t0 < ORDER_WAIT_S:
            await asyncio.sleep(ORDER_POLL_S[min(tries, len(ORDER_POLL_S) - 1)])
            tries += 1
            o = await self.timed("order_poll", "GET", f"/api/v1/orders/{order_id}", auth)
            if o.status_code == 200 and o.json()["status"] != "pending":
                self.out.counts[f"order_{o.json()['status']}"] += 1
                self.out.latencies["pay_to_confirmed"].append(time.perf_counter() - t0)
                return
        self.out.counts["order_stuck_pending"] += 1

    async def watch(self, fans: asyncio.Future[Any]) -> None:
        """Report progress twice a second and how late this process's loop wakes up; stop
        the fans when the simulator is asked to stop or its main process is gone."""
        last = time.monotonic()
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(0.01)
            self.lags.append(time.perf_counter() - asked - 0.01)
            if time.monotonic() - last >= 0.5:
                last = time.monotonic()
                self.cpu_marks.append((last, time.process_time()))
                self.rss_peak = max(self.rss_peak, rss_bytes())
                self.out.parked_peak = max(self.out.parked_peak, self.parked)
                self.progress.put((os.getpid(), self.done, dict(self.out.counts)))
                if self.stop.is_set() or os.getppid() != self.plan.parent_pid:
                    fans.cancel()
                    return

    async def everyone(self) -> None:
        """Every fan of this process to the end: joiners, the looker, and the fans' turns."""
        await self.read_room()
        order = iter(range(len(self.tokens)))
        joiners = [asyncio.ensure_future(self.join(order)) for _ in range(self.general)]
        looker = asyncio.ensure_future(self.looker())
        try:
            if self.tokens:
                await self.finished.wait()
        finally:
            for task in [*joiners, looker, *self.tasks]:
                task.cancel()
        if self.crash is not None:
            raise self.crash

    async def run(self) -> dict[str, Any]:
        self.pool = rawhttp.Pool(self.plan.base_url, self.general)
        self.shop_pool = rawhttp.Pool(self.plan.base_url, self.share)
        self.pay_pool = rawhttp.Pool(self.plan.base_url, self.share)
        self.order_pool = rawhttp.Pool(self.plan.base_url, self.share)
        rss0 = self.rss_peak = rss_bytes()
        cpu0, wall0 = time.process_time(), time.monotonic()
        fans = asyncio.ensure_future(self.everyone())
        # A SIGTERM sent to the whole process group (`timeout`, a service manager) reaches
        # this process too: it stops its fans and still hands back what they did.
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, fans.cancel)
        watcher = asyncio.create_task(self.watch(fans))
        with contextlib.suppress(asyncio.CancelledError):
            await fans
        watcher.cancel()
        pools = (self.pool, self.shop_pool, self.pay_pool, self.order_pool)
        for pool in pools:
            pool.close()
        wall = time.monotonic() - wall0
        cpu = time.process_time() - cpu0
        self.rss_peak = max(self.rss_peak, rss_bytes())
        # Fans still parked (a stopped run) read the snapshot until now.
        self.out.counts["room_reads"] += int(
            (self.parked_s + self.parked * time.monotonic()) / ROOM_EVERY_S
        )
        self.progress.put((os.getpid(), self.done, dict(self.out.counts)))
        key = f"{self.plan.seed}:"
        for i in self.got:
            self.out.got.add(f"{key}{i}")
        for i, first in enumerate(self.first_chance):
            if not math.isnan(first):
                self.out.chances[f"{key}{i}"].append(first)
        for i, chance in self.more_chances:
            self.out.chances[f"{key}{i}"].append(chance)
        return {
            **self.out.to_builtins(),
            "pid": os.getpid(),
            "fans": len(self.tokens),
            "stopped": fans.cancelled(),
            "wall_s": wall,
            "cpu_s": cpu,
            "loop_lag_p99_ms": _pct(self.lags, 0.99),
            "cpu_peak_share": peak_share(self.cpu_marks),
            "connections": sum(pool.opened for pool in pools),
            "rss_growth_bytes": max(0, self.rss_peak - rss0),
        }


def rss_bytes() -> int:
    """This process's resident memory now (bytes)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_share(marks: list[tuple[float, float]], window_s: float = 10.0) -> float:
    """The highest share of one core used over any `window_s` of (wall, CPU) marks."""
    best, start = 0.0, 0
    for end in range(len(marks)):
        while marks[end][0] - marks[start][0] > window_s:
            start += 1
        wall = marks[end][0] - marks[start][0]
        if wall >= window_s / 2:
            best = max(best, (marks[end][1] - marks[start][1]) / wall)
    return best


def _fan_process(plan: FanPlan, tokens: list[str], progress: Any, results: Any, stop: Any) -> None:
    import uvloop

    # Ctrl-C reaches the whole process group: the main process alone decides, sets `stop`,
    # and these hand back what their fans did instead of dying mid-report.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        results.put(runner.run(Fans(plan, progress, stop, tokens).run()))


def _template(route: str) -> str:
    """'/api/v1/holds/{hold_id:str}' -> '/api/v1/holds/{hold_id}'."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", route)


def parse_histograms(text: str) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(method, route template) -> cumulative (le, count) buckets of the API's latency."""
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        if family.name != HTTP_HISTOGRAM:
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                key = (sample.labels["method"], _template(sample.labels["route"]))
                out[key].append((float(sample.labels["le"]), sample.value))
    return {k: sorted(v) for k, v in out.items()}


def histogram_quantile(
    before: list[tuple[float, float]], after: list[tuple[float, float]], q: float
) -> float | None:
    """Like PromQL's histogram_quantile over the increase between two scrapes (seconds)."""
    old = dict(before)
    buckets = [(le, count - old.get(le, 0.0)) for le, count in after]
    total = buckets[-1][1] if buckets else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower_le, lower_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if le == float("inf"):
                return lower_le
            width = count - lower_count
            share = (rank - lower_count) / width if width else 1.0
            return lower_le + (le - lower_le) * share
        lower_le, lower_count = le, count
    return None


async def api_cpu(client: httpx.AsyncClient) -> float | None:
    """CPU seconds the API process that answers /metrics has used (its
    `process_cpu_seconds_total`; one process under `onsale dev`), None when not exposed."""
    try:
        r = await client.get("/metrics")
    except httpx.HTTPError:
        return None
    found = [
        float(line.rsplit(" ", 1)[1])
        for line in r.text.splitlines()
        if line.startswith("process_cpu_seconds_total")
    ]
    return sum(found) if r.status_code == 200 and found else None


def peak_rate(seconds: Counter[int]) -> int:
    """The most answers in one wall second."""
    return max(seconds.values(), default=0)


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, str], list[tuple[float, float]]]:
    try:
        r = await client.get("/metrics")
    except httpx.HTTPError:
        return {}
    return parse_histograms(r.text) if r.status_code == 200 else {}


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
        processes: int = 0,
        event_id: str = "",
        admit_batch: int | None = None,
        own_every_s: float = 0.0,
    ) -> None:
        self.settings = settings
        self.own_every_s = own_every_s
        self.base_url = base_url
        self.fans = fans
        self.sections = sections
        self.abandon = abandon
        self.hold_ttl_s = hold_ttl_s
        self.concurrency = concurrency
        self.seed = seed
        self.processes = processes or default_processes(fans, os.cpu_count() or 1)
        self.out = Outcome()
        self.event_id = event_id
        self.admit_batch = admit_batch
        self.per_process: list[dict[str, Any]] = []
        self.api_cores: float | None = None
        self.load_at_start = self.load_at_end = 0.0
        self.server: dict[str, tuple[float | None, float | None]] = {}
        self.ctx = multiprocessing.get_context("spawn")
        # Set by SIGINT/SIGTERM: every fan process stops and reports, then the summary.
        self.stop = self.ctx.Event()
        self.stopped_by: int | None = None
        self.killed = False

    @property
    def near_front(self) -> int:
        """A fan this close to the front asks for its own status: one admission batch."""
        return self.admit_batch or max(50, sum(self.sections.values()) // 4)

    def request_stop(self, signum: int) -> None:
        """First signal: stop the fans and print what ran. Second: terminate them now."""
        if self.stopped_by is not None:
            self.killed = True
        self.stopped_by = signum
        self.stop.set()
        console.print(
            f"[bold yellow]{signal.Signals(signum).name}:[/] stopping the simulated fans "
            "(again to terminate them at once)"
        )

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
        if self.admit_batch:
            await pace_room(client, self.event_id, self.organizer_auth, self.admit_batch)

    async def use_event(self, client: httpx.AsyncClient) -> None:
        """Drive an existing published event (its organizer's token signs the stats reads)."""
        r = await client.get(f"/api/v1/events/{self.event_id}")
        r.raise_for_status()
        event = r.json()
        self.sections = {s["code"]: s["capacity"] for s in event["sections"]}
        room = event.get("waiting_room") or {}
        self.admit_batch = self.admit_batch or room.get("admit_batch_size")
        organizer = Principal(user_id=event["organizer_id"], roles=("fan", "organizer"))
        self.organizer_auth = {"Authorization": f"Bearer {access_token(self.settings, organizer)}"}

    def run_fans(self, tokens: list[str]) -> float:
        """Every fan, spread over the processes, with a live progress bar; wall seconds.

        However it ends (done, SIGINT/SIGTERM, a failed process), no fan process outlives
        it: asked to stop, they get STOP_GRACE_S to report, then are terminated."""
        ctx = self.ctx
        progress_q, results_q = ctx.Queue(), ctx.Queue()
        n = self.processes
        started = time.time()
        plans = [
            FanPlan(
                base_url=self.base_url,
                event_id=self.event_id,
                sections=self.sections,
                abandon=self.abandon,
                concurrency=max(1, self.concurrency // n),
                seed=self.seed + i,
                started_at=started,
                near_front=self.near_front,
                own_every_s=self.own_every_s,
                parent_pid=os.getpid(),
            )
            for i in range(n)
        ]
        procs = [
            ctx.Process(
                target=_fan_process,
                args=(plans[i], tokens[i::n], progress_q, results_q, self.stop),
            )
            for i in range(n)
        ]
        try:
            for proc in procs:
                proc.start()
            self.follow(procs, progress_q, results_q)
        finally:
            asked_to_stop = self.stop.is_set()
            self.stop.set()
            for proc in procs:
                # Done: they are only flushing their report. Stopped: their grace is spent.
                proc.join(timeout=0 if self.killed else 1 if asked_to_stop else STOP_GRACE_S)
                if proc.is_alive():
                    proc.kill()
                    proc.join()
        for result in self.per_process:
            self.out.merge(result)
        return time.time() - started

    def follow(self, procs: list[Any], progress_q: Any, results_q: Any) -> None:
        """Show the fans' progress until every process has reported (or, once stopped,
        until the grace is over)."""
        n = len(procs)
        seen: dict[int, tuple[int, dict[str, int]]] = {}
        grace_until: float | None = None
        with Progress(
            TextColumn("[bold]fans done"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("fans", total=self.fans, info="")
            while len(self.per_process) < n:
                if self.stop.is_set():
                    grace_until = grace_until or time.monotonic() + STOP_GRACE_S
                    if self.killed or time.monotonic() > grace_until:
                        return
                with contextlib.suppress(queue_mod.Empty):
                    self.per_process.append(results_q.get(timeout=0.2))
                while True:
                    try:
                        pid, done, counts = progress_q.get_nowait()
                    except queue_mod.Empty:
                        break
                    seen[pid] = (done, counts)
                total: defaultdict[str, int] = defaultdict(int)
                for _, counts in seen.values():
                    for k, v in counts.items():
                        total[k] += v
                progress.update(
                    task,
                    completed=sum(d for d, _ in seen.values()),
                    info=f"admitted {total['admitted']} holds {total['holds']} "
                    f"orders {total['order_confirmed']}",
                )
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise RuntimeError("a simulator process failed (see its traceback above)")

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.request_stop, signum)
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60, limits=limits) as client:
            await (self.use_event(client) if self.event_id else self.create_event(client))
            users = await bulk_users(
                self.settings.database_url, self.settings.secret_key, self.fans
            )
            tokens = [access_token(self.settings, u) for u in users]
            before = await scrape(client)
            cpu_before = await api_cpu(client)
            self.load_at_start = os.getloadavg()[0]
            elapsed = await asyncio.to_thread(self.run_fans, tokens)
            self.load_at_end = os.getloadavg()[0]
            cpu_after = await api_cpu(client)
            if cpu_before is not None and cpu_after is not None and elapsed:
                self.api_cores = (cpu_after - cpu_before) / elapsed
            after = await scrape(client)
            self.server = {
                step: (
                    histogram_quantile(before.get(route, []), after[route], 0.5),
                    histogram_quantile(before.get(route, []), after[route], 0.99),
                )
                for step, route in STEP_ROUTES.items()
                if route in after
            }
            if self.stopped_by is None:
                await self.drain(client)
            stats = (
                await client.get(
                    f"/api/v1/events/{self.event_id}/stats", headers=self.organizer_auth
                )
            ).json()
        checks = await self.check_invariants(stats)
        await self.confirmed_in_postgres()
        self.print_summary(elapsed, stats, checks)
        self.print_calibration()
        if self.stopped_by is not None:
            # The shell's convention for "ended by this signal", after the summary.
            return 128 + self.stopped_by
        return 0 if all(ok for ok, _ in checks.values()) else 1

    async def drain(self, client: httpx.AsyncClient) -> None:
        """Wait until abandoned holds have expired and every checkout is settled."""
        deadline = time.monotonic() + self.hold_ttl_s + 30
        while time.monotonic() < deadline and self.stopped_by is None:
            r = await client.get(
                f"/api/v1/events/{self.event_id}/stats", headers=self.organizer_auth
            )
            if r.status_code == 200 and r.json()["holds_active"] == 0:
                return
            await asyncio.sleep(1)

    async def confirmed_in_postgres(self) -> None:
        """Pay → confirmed from the record: each order's confirmed_at against the moment its
        checkout was sent and answered (one clock: the simulator runs beside the API)."""
        if not self.out.paid:
            return
        conn = await asyncpg.connect(self.settings.database_url)
        try:
            rows = await conn.fetch(
                "SELECT order_id, extract(epoch FROM confirmed_at)::float8 AS at FROM orders "
                "WHERE order_id = ANY($1::uuid[]) AND confirmed_at IS NOT NULL",
                [order_id for order_id, _, _ in self.out.paid],
            )
        finally:
            await conn.close()
        confirmed = {str(r["order_id"]): r["at"] for r in rows}
        for order_id, sent, answered in self.out.paid:
            at = confirmed.get(order_id)
            if at is not None:
                self.out.latencies[PAY_SENT].append(max(0.0, at - sent))
                self.out.latencies[PAY_ANSWERED].append(max(0.0, at - answered))

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
        failed = self.out.transport_failures
        checks["no 5xx"] = (
            self.out.server_errors == 0 and failed == 0,
            f"{self.out.server_errors} server errors, {failed} requests without an answer",
        )
        return checks

    async def unsettled_payments(self, by_pi: dict[str, str]) -> list[str]:
        from app.payments.gateway import close_gateways, gateway

        stripe = gateway(self.settings)
        bad: list[str] = []
        # A stopped run reports what ran: a shorter look at Stripe, its payments are in flight.
        budget = STRIPE_CHECK_S if self.stopped_by is None else STRIPE_CHECK_S / 5
        deadline = time.monotonic() + budget
        try:
            for pi_id in sorted(self.out.payment_intents):
                order = by_pi.get(pi_id)
                pi = await _retrieve(stripe, pi_id, deadline)
                if pi is None:
                    bad.append(f"{pi_id}: Stripe did not answer, order {order}")
                    continue
                if pi.status == "succeeded" and order not in ("confirmed", "refunded"):
                    bad.append(f"{pi_id}: captured, order {order}")
                elif pi.status == "requires_capture":
                    bad.append(f"{pi_id}: still authorized, order {order}")
                elif pi.status == "canceled" and order == "confirmed":
                    bad.append(f"{pi_id}: cancelled but order confirmed")
        finally:
            await close_gateways()  # its HTTP session, not left for the garbage collector
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
        stopped = (
            f"yes, by {signal.Signals(self.stopped_by).name}: what ran until then; holds and "
            "payments not yet settled"
            if self.stopped_by is not None
            else "no"
        )
        cpu_share, bottleneck = self.own_load(elapsed)
        cores = os.cpu_count() or 1
        for name, value in [
            ("stopped early", stopped),
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
            (
                "refusals (hold, checkout)",
                ", ".join(
                    f"{k} {v}"
                    for k, v in sorted(c.items())
                    if k.startswith(("hold_", "checkout_")) and k != "hold_sold_out"
                )
                or "none",
            ),
            ("requests sent", f"{self.out.requests:,} ({self.out.requests / elapsed:,.0f}/s)"),
            (
                "peak answers per second",
                ", ".join(
                    f"{step} {peak_rate(self.out.per_second[step]):,}"
                    for step in ("join", "poll", "hold", "checkout", "order_poll")
                ),
            ),
            (
                "fans reading the room snapshot (cache)",
                f"{self.out.parked_peak:,} at most, "
                f"{self.out.parked_peak / ROOM_EVERY_S:,.0f} reads/s at the peak",
            ),
            (
                "API CPU (its /metrics)",
                "not exposed"
                if self.api_cores is None
                else f"{self.api_cores:.2f} cores over the run",
            ),
            (
                "load average (start → end)",
                f"{self.load_at_start:.1f} → {self.load_at_end:.1f} on {cores} cores",
            ),
            ("where it saturates", self.saturation(cores, cpu_share, bottleneck)),
            (
                "room snapshot reads (fans / sent)",
                f"{c['room_reads']:,} / {len(self.out.latencies.get('room', [])):,}",
            ),
            (
                f"simulator CPU ({len(self.per_process)} process(es), {cores} cores)",
                f"{cpu_share:.2f} cores ({cpu_share / cores:.0%} of the machine)",
            ),
            ("simulator the bottleneck", bottleneck),
        ]:
            table.add_row(name, str(value))
        console.print(table)
        self.print_processes(elapsed)
        steps = Table(
            title="Latency per step (ms): the simulator's send → response, and the API's own "
            "(its /metrics histogram over the run, interpolated in its buckets)"
        )
        for col in ("step", "n", "p50", "p99", "API p50", "API p99"):
            steps.add_column(col, justify="right" if col != "step" else "left")
        for step, values in self.out.latencies.items():
            api_p50, api_p99 = self.server.get(step, (None, None))
            steps.add_row(
                step,
                str(len(values)),
                f"{_pct(values, 0.5):.1f}",
                f"{_pct(values, 0.99):.1f}",
                "-" if api_p50 is None else f"{api_p50 * 1000:.1f}",
                "-" if api_p99 is None else f"{api_p99 * 1000:.1f}",
            )
        console.print(steps)
        inv = Table(title="Invariants")
        inv.add_column("invariant")
        inv.add_column("ok")
        inv.add_column("detail")
        for name, (ok, detail) in checks.items():
            inv.add_row(name, "[green]yes[/]" if ok else "[red]NO[/]", detail)
        console.print(inv)

    def saturation(self, cores: int, sim_cores: float, sim_verdict: str) -> str:
        """Which part ran out first: the simulator, the API's processes, or the machine."""
        if sim_verdict.startswith("yes"):
            return "the simulator (see its processes below)"
        load = max(self.load_at_start, self.load_at_end)
        api = self.api_cores
        if api is not None and load > cores and api + sim_cores < 0.85 * cores:
            return (
                f"the machine: load {load:.1f} on {cores} cores left the API {api:.2f} cores "
                "(other processes had the rest)"
            )
        if api is not None and api >= 0.85:
            return f"the API's CPU ({api:.2f} cores; more API processes would help)"
        return "not the CPU: latency (Stripe stand-in, Postgres, workers); see the steps"

    def print_calibration(self) -> None:
        calibration = Calibration(self.out.chances, self.out.got)
        calibration.print(console)
        for name, (ok, detail) in calibration.checks().items():
            console.print(f"{'[green]ok[/]' if ok else '[red]MISSED[/]'} {name}: {detail}")

    def own_load(self, elapsed: float) -> tuple[float, str]:
        """The cores the fan processes used on average, and whether they were the
        bottleneck (a process busy ≥ BUSY_SHARE of a core or its loop late at p99)."""
        cpu = sum(p["cpu_s"] for p in self.per_process)
        busy = [p["pid"] for p in self.per_process if _busy(p)]
        late = [p["pid"] for p in self.per_process if p["loop_lag_p99_ms"] > LAG_P99_MS]
        if busy:
            verdict = f"yes: {busy} ≥ {BUSY_SHARE:.0%} of a core (whole run or busiest 10 s)"
        elif late:
            verdict = f"maybe: {late} woke late (no core free)"
        else:
            verdict = "no"
        return (cpu / elapsed if elapsed else 0.0), verdict

    def print_processes(self, elapsed: float) -> None:
        """Each simulator process's own load, and a warning when it was the bottleneck."""
        table = Table(title=f"Simulator processes ({len(self.per_process)})")
        for col in (
            "pid",
            "fans",
            "requests/s",
            "CPU of one core",
            "busiest 10 s",
            "loop lag p99 ms",
            "connections",
            "memory per fan",
        ):
            table.add_column(col, justify="right")
        busy, starved = [], []
        for p in self.per_process:
            share = p["cpu_s"] / p["wall_s"] if p["wall_s"] else 0.0
            table.add_row(
                str(p["pid"]),
                str(p["fans"]),
                f"{p['requests'] / p['wall_s']:,.0f}" if p["wall_s"] else "-",
                f"{share:.0%}",
                f"{p.get('cpu_peak_share', 0.0):.0%}",
                f"{p['loop_lag_p99_ms']:.1f}",
                str(p.get("connections", "-")),
                f"{p.get('rss_growth_bytes', 0) / max(1, p['fans']):,.0f} B",
            )
            if _busy(p):
                busy.append(p["pid"])
            elif p["loop_lag_p99_ms"] > LAG_P99_MS:
                starved.append(p["pid"])
        console.print(table)
        if busy:
            console.print(
                f"[bold yellow]warning:[/] simulator process(es) {busy} were the bottleneck "
                f"(≥ {BUSY_SHARE:.0%} of a core over the run or its busiest 10 s): their "
                "latencies include their own backlog and the request rate is theirs, not the "
                "API's limit. Trust the API columns; run with more --processes (or from "
                "another machine)."
            )
        if starved:
            console.print(
                f"[bold yellow]warning:[/] simulator process(es) {starved} woke late (loop lag "
                f"p99 > {LAG_P99_MS:.0f} ms) while using little CPU: the machine had no core "
                "free for them, so their latencies include that wait. Trust the API columns; "
                "more processes would not help, a less busy machine would."
            )


async def _retrieve(stripe: Any, pi_id: str, deadline: float, tries: int = 5) -> Any:
    """A PaymentIntent, or None if Stripe (its stand-in, after a heavy run) did not answer
    before `deadline` (monotonic): an unverified payment fails the no-lost-sale check
    instead of ending or stalling the summary."""
    import stripe as stripe_sdk

    for attempt in range(tries):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            async with asyncio.timeout(min(left, STRIPE_CALL_S)):
                return await stripe.retrieve(pi_id)
        except (stripe_sdk.APIConnectionError, TimeoutError):
            await asyncio.sleep(min(2.0 * (attempt + 1), max(0.0, deadline - time.monotonic())))
    return None


def _busy(p: dict[str, Any]) -> bool:
    """A fan process that was the bottleneck, over the whole run or its busiest 10 s."""
    share = p["cpu_s"] / p["wall_s"] if p["wall_s"] else 0.0
    return max(share, float(p.get("cpu_peak_share", 0.0))) >= BUSY_SHARE


def default_processes(fans: int, cores: int) -> int:
    """One process per FANS_PER_PROCESS fans, leaving the server it measures at least one
    core (so a single process on a 2-core machine): a simulator that takes every core
    measures its own backlog, not the API."""
    return max(1, min(cores - 1, -(-fans // FANS_PER_PROCESS)))


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
    processes: int = 0,
    event_id: str = "",
    admit_batch: int | None = None,
    own_every_s: float = 0.0,
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
        processes=processes,
        event_id=event_id,
        admit_batch=admit_batch,
        own_every_s=own_every_s,
    )
    return asyncio.run(sim.run())
