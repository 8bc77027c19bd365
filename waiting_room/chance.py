"""Chance of success of a waiting fan: will seats be left when its turn comes?

Model (per event, one read per second per process, cached): the seats that
can still go to waiting fans are `R = available + held * (1 - c)` (holds that
do not convert come back). Every fan admitted before this one consumes, on
average, `m = h * c * q` seats: h = share of admitted fans who make a hold, c =
hold conversion (holds that end paid), q = mean seats per hold. The fans who
come first are those `ahead` plus the admitted shoppers who have not held yet.
Their total demand D is about normal with mean n*m and the variance of n
independent fans (each takes Q seats with probability h*c), plus a model
uncertainty that is wide while few holds were seen (the priors speak) and 20 %
of the mean later; the fan succeeds when R - D >= q, so
`chance = Phi((R - n*m - q + 0.5) / sigma)`.
h, q and c come from the holds ledger (copied into the event's control hash
by the admission-control cron every two seconds), each blended with a prior
in proportion to how many holds it rests on.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from app.core import keys

PRIOR_HOLD_RATE = 0.9
PRIOR_CONVERSION = 0.8
PRIOR_QUANTITY = 2.5
# A prior weighs as much as this many observed holds.
PRIOR_WEIGHT = 20.0
MODEL_UNCERTAINTY = 0.2
PRIOR_UNCERTAINTY = 0.6
CACHE_S = 1.0


@dataclass(frozen=True)
class Odds:
    """An event's figures for the chance of every waiting fan."""

    available: int
    held: int
    hold_rate: float
    conversion: float
    quantity: float
    shopping: int  # admitted shoppers who have not held yet
    observed: int  # holds the figures rest on

    @property
    def remaining(self) -> float:
        return self.available + self.held * (1.0 - self.conversion)

    def of(self, ahead: int) -> float:
        """Chance (0.01..0.99, two decimals) for a fan with `ahead` fans before it."""
        p = self.hold_rate * self.conversion
        q = self.quantity
        n = ahead + self.shopping
        mean = n * p * q
        # E[Q^2] of quantities spread evenly over 1..2q-1.
        q2 = q * q + max(0.0, (q * q - 1) / 3)
        doubt = MODEL_UNCERTAINTY + PRIOR_UNCERTAINTY * PRIOR_WEIGHT / (
            self.observed + PRIOR_WEIGHT
        )
        var = n * max(0.0, p * q2 - (p * q) ** 2) + (doubt * mean) ** 2 + 1.0
        z = (self.remaining - mean - q + 0.5) / math.sqrt(var)
        return round(min(0.99, max(0.01, 0.5 * math.erfc(-z / math.sqrt(2)))), 2)


def blend(observed: float, count: float, prior: float) -> float:
    return (observed * count + prior * PRIOR_WEIGHT) / (count + PRIOR_WEIGHT)


def from_figures(
    inv: dict[str, str], ledger: list[str | None], admitted: int, active: int, holding: int
) -> Odds:
    """Odds from the inventory hash, the ledger figures and the room's counters."""
    holds, holders, seats, converted, lapsed = (int(v or 0) for v in ledger)
    shopping = max(0, active - holding)
    decided = max(holders, admitted - shopping)
    ended = converted + lapsed
    return Odds(
        available=sum(int(v) for k, v in inv.items() if k.endswith(":available")),
        held=sum(int(v) for k, v in inv.items() if k.endswith(":held")),
        hold_rate=blend(holders / decided if decided else 0.0, decided, PRIOR_HOLD_RATE),
        conversion=blend(converted / ended if ended else 0.0, ended, PRIOR_CONVERSION),
        quantity=blend(seats / holds if holds else 0.0, holds, PRIOR_QUANTITY),
        shopping=shopping,
        observed=holds,
    )


_cache: dict[str, tuple[float, Odds]] = {}


async def odds(redis: Redis, event_id: str) -> Odds:
    """The event's Odds, read at most once per CACHE_S per process."""
    hit = _cache.get(event_id)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_S:
        return hit[1]
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(keys.inventory(event_id))
    pipe.hmget(
        keys.admission_control(event_id),
        ["odds_holds", "odds_holders", "odds_seats", "odds_converted", "odds_lapsed"],
    )
    pipe.hget(keys.queue_state(event_id), "admitted")
    pipe.zcard(keys.active_sessions(event_id))
    pipe.zcard(keys.hold_expiry(event_id))
    pipe.zcard(keys.checkouts(event_id))
    inv, ledger, admitted, active, holding, paying = await pipe.execute()
    result = from_figures(inv, ledger, int(admitted or 0), int(active), int(holding) + int(paying))
    _cache[event_id] = (now, result)
    return result
