"""Chance of success of a waiting fan: will seats be left when its turn comes?

Model (per event, one read per second per process, cached): the seats that
can still go to waiting fans are `R = available + held * (1 - c)` (holds that
do not convert come back). Every fan admitted before this one consumes, on
average, `m = h * c * q` seats: h = share of admitted fans who make a hold, c =
hold conversion (holds that end paid), q = mean seats per hold. The fans who
come first are those `ahead` plus the admitted shoppers who have not held yet.
Their total demand D is about normal with mean n*m and the variance of n
independent fans (each takes Q seats with probability h*c) plus a model
uncertainty of 20 % of the mean; the fan succeeds when R - D >= q, so
`chance = Phi((R - n*m - q + 0.5) / sigma)`. h, c and q come from the holds
ledger (the admission controller writes them into the event's control hash
every couple of seconds) blended with priors until enough fans were seen.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from app.core import keys

# Priors, and how many observations they weigh.
PRIOR_HOLD_RATE = 0.9
PRIOR_CONVERSION = 0.8
PRIOR_QUANTITY = 2.0
PRIOR_WEIGHT = 20.0
MODEL_UNCERTAINTY = 0.2
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

    @property
    def remaining(self) -> float:
        return self.available + self.held * (1.0 - self.conversion)

    def of(self, ahead: int) -> float:
        """Chance (0..1, two decimals) for a fan with `ahead` fans before it."""
        p = self.hold_rate * self.conversion
        q = self.quantity
        n = ahead + self.shopping
        mean = n * p * q
        # E[Q^2] of 1..2q-1 uniform-ish quantities: q^2 + (q^2 - 1) / 3.
        q2 = q * q + max(0.0, (q * q - 1) / 3)
        var = n * max(0.0, p * q2 - (p * q) ** 2) + (MODEL_UNCERTAINTY * mean) ** 2 + 1.0
        z = (self.remaining - mean - q + 0.5) / math.sqrt(var)
        return round(min(0.99, max(0.01, 0.5 * math.erfc(-z / math.sqrt(2)))), 2)


def blend(observed: float, count: float, prior: float) -> float:
    return (observed * count + prior * PRIOR_WEIGHT) / (count + PRIOR_WEIGHT)


_cache: dict[str, tuple[float, Odds]] = {}


async def odds(redis: Redis, event_id: str) -> Odds:
    """The event's Odds, read at most once per CACHE_S per process."""
    hit = _cache.get(event_id)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_S:
        return hit[1]
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(keys.inventory(event_id))
    pipe.hmget(keys.admission_control(event_id), ["odds_h", "odds_c", "odds_q", "odds_n"])
    pipe.zcard(keys.active_sessions(event_id))
    pipe.zcard(keys.hold_expiry(event_id))
    pipe.zcard(keys.checkouts(event_id))
    inv, (h, c, q, n), active, holding, paying = await pipe.execute()
    available = sum(int(v) for k, v in inv.items() if k.endswith(":available"))
    held = sum(int(v) for k, v in inv.items() if k.endswith(":held"))
    seen = float(n or 0)
    result = Odds(
        available=available,
        held=held,
        hold_rate=blend(float(h or 0), seen, PRIOR_HOLD_RATE),
        conversion=blend(float(c or 0), seen, PRIOR_CONVERSION),
        quantity=blend(float(q or 0), seen, PRIOR_QUANTITY),
        shopping=max(0, int(active) - int(holding) - int(paying)),
    )
    _cache[event_id] = (now, result)
    return result
