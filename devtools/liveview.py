"""How stale the console's live view is during `onsale simulate`: polled as its organizer.

The live view (`GET /api/v1/events/{id}/live`, which the console polls every
1.5 s) is read once a second while the fans run. After the run, each answer
is compared with the record: the orders Postgres confirmed (`confirmed_at`)
and the seats they sold. An answer is stale by the age of the oldest
confirmation it does not show yet, counted at the moment the organizer's
screen would draw it (the answer's arrival): 0 when it shows everything
confirmed by then. The answer's own `at` against that moment (its time in
flight) is reported beside it. One clock: the simulator runs beside the API.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import httpx

POLL_S = 1.0
# Answers count from the first confirmation until this long after the last: a view that
# lags the end of the sale shows in them, a quiet tail of minutes does not dilute them.
TAIL_S = 30.0
# A live answer slower than this is a stale screen whatever it says.
READ_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Sample:
    """One answer of the live view: when it arrived (epoch s), its own `at`, what it showed."""

    answered: float
    at: float
    orders: int
    sold: int


@dataclass
class Staleness:
    """Staleness of the live view's figures (seconds) over the answers of a run."""

    orders: list[float] = field(default_factory=list)
    sold: list[float] = field(default_factory=list)
    in_flight: list[float] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def pct(values: list[float], q: float) -> float | None:
        if not values:
            return None
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def figures(self) -> dict[str, Any]:
        """p50/p99 per figure (s), for the summary and the JSON."""
        out: dict[str, Any] = {"answers": len(self.orders), "failed": dict(self.failed)}
        for name in ("orders", "sold", "in_flight"):
            values = getattr(self, name)
            out[name] = {
                "p50_s": self.pct(values, 0.5),
                "p99_s": self.pct(values, 0.99),
                "max_s": max(values, default=None),
            }
        return out

    def line(self) -> str:
        f = self.figures()
        failed = ", ".join(f"{n} {why}" for why, n in sorted(self.failed.items())) or "none"
        if not f["answers"]:
            return f"no answer while orders were confirmed (failed: {failed})"

        def pair(name: str) -> str:
            return f"p50 {f[name]['p50_s']:.2f} s, p99 {f[name]['p99_s']:.2f} s"

        return (
            f"orders {pair('orders')}; seats sold {pair('sold')}; in flight "
            f"{pair('in_flight')} ({f['answers']} answers while orders were confirmed; "
            f"failed: {failed})"
        )


def stale_by(shown: int, confirmed: list[float], steps: list[int], now: float) -> float:
    """Seconds since the first confirmation not shown: `confirmed` are the times (sorted) at
    which the true figure grew, `steps` the figure after each; 0 if `shown` is up to date."""
    first_missing = bisect.bisect_right(steps, shown)
    if first_missing >= len(steps) or confirmed[first_missing] > now:
        return 0.0
    return max(0.0, now - confirmed[first_missing])


def staleness(samples: list[Sample], record: list[tuple[float, int]]) -> Staleness:
    """Each sample taken while orders were being confirmed (from the first confirmation to
    TAIL_S after the last) against the record's (confirmed_at epoch s, seats) of every
    order."""
    record = sorted(record)
    times = [t for t, _ in record]
    orders = list(range(1, len(record) + 1))
    seats = list(itertools.accumulate(q for _, q in record))
    out = Staleness()
    if not record:
        return out
    for s in samples:
        if not times[0] <= s.answered <= times[-1] + TAIL_S:
            continue
        out.orders.append(stale_by(s.orders, times, orders, s.answered))
        out.sold.append(stale_by(s.sold, times, seats, s.answered))
        out.in_flight.append(max(0.0, s.answered - s.at))
    return out


class LiveWatch:
    """Polls the live view as the event's organizer until stopped."""

    def __init__(self, client: httpx.AsyncClient, event_id: str, headers: dict[str, str]):
        self.client = client
        self.path = f"/api/v1/events/{event_id}/live"
        self.headers = headers
        self.samples: list[Sample] = []
        self.failed: Counter[str] = Counter()

    async def read(self) -> None:
        try:
            r = await self.client.get(self.path, headers=self.headers, timeout=READ_TIMEOUT_S)
        except httpx.HTTPError as exc:
            self.failed[type(exc).__name__] += 1
            return
        answered = time.time()
        if r.status_code != 200:
            self.failed[f"HTTP {r.status_code}"] += 1
            return
        body = r.json()
        stats = body["stats"]
        self.samples.append(
            Sample(
                answered=answered,
                at=datetime.fromisoformat(body["at"]).timestamp(),
                orders=int(stats["orders_confirmed"]),
                sold=sum(int(s["sold"]) for s in stats["sections"]),
            )
        )

    async def run(self) -> None:
        """One read a second, each started on time even when the last is still in flight
        (as a console's timer does), so a slow answer shows as staleness, not fewer reads."""
        reads: set[asyncio.Task[None]] = set()
        try:
            while True:
                task = asyncio.ensure_future(self.read())
                reads.add(task)
                task.add_done_callback(reads.discard)
                await asyncio.sleep(POLL_S)
        finally:
            for task in reads:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*reads, return_exceptions=True)

    async def result(self, database_url: str, event_id: str) -> Staleness:
        conn = await asyncpg.connect(database_url)
        try:
            rows = await conn.fetch(
                "SELECT extract(epoch FROM confirmed_at)::float8 AS at, quantity FROM orders "
                "WHERE event_id = $1 AND confirmed_at IS NOT NULL",
                uuid.UUID(event_id),
            )
        finally:
            await conn.close()
        out = staleness(self.samples, [(r["at"], int(r["quantity"])) for r in rows])
        out.failed = self.failed
        return out
