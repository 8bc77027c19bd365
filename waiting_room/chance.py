"""Chance of success of a waiting fan: will seats be left when its turn comes?

Model (per event, one read per second per process, cached). The fans served
first are the n = `ahead` plus the admitted shoppers who have not held yet.
Each takes on average h * q seats (h = share of admitted fans who hold, q =
mean seats per hold); a hold that lapses (1 - c of them, c = hold conversion)
gives its seats back only when it ends, a hold's life later, so only the fans
beyond the `horizon` (fans admitted during one hold's life: admission rate x
hold_ttl_s) see them: demand D has mean h*q*(near + c*(n - near)), and the
seats held now come back for a fan in proportion to n / horizon. D is taken
as normal, with the variance of n independent fans plus a model uncertainty
that is wide while few holds were seen (the priors speak) and 20 % of the mean
later; the fan succeeds when the seats left, minus D, still cover its own q:
`chance = Phi((R - mean(D) - q + 0.5) / sigma)`.
h and q come from live Redis counters (accounts with seats, seats taken,
admitted fans); c from the holds ledger's ended holds (copied into the
event's control hash by the admission-control cron every two seconds); each
is blended with a prior in proportion to how many fans it rests on. Before MIN_OBSERVED holds, no
chance is shown: the priors alone would speak, and they know nothing of this
sale's shop.
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
# Below this many fans with holds the odds are mostly priors: no chance is shown.
MIN_OBSERVED = 10


@dataclass(frozen=True)
class Odds:
    """An event's figures for the chance of every waiting fan."""

    available: int
    held: int
    hold_rate: float
    conversion: float
    quantity: float
    shopping: int  # admitted shoppers who have not held yet
    observed: int  # fans with holds the figures rest on
    horizon: float  # fans admitted during one hold's life

    def of(self, ahead: int) -> float | None:
        """Chance (0.01..0.99, two decimals) for a fan with `ahead` fans before it.

        None until MIN_OBSERVED holds were seen: like eta_s, a figure is shown
        only when it can be known honestly.
        """
        if self.observed < MIN_OBSERVED:
            return None
        h, c, q = self.hold_rate, self.conversion, self.quantity
        n = ahead + self.shopping
        # Seats of holds that lapse come back only when the hold ends: the fans
        # admitted within one hold's life take seats that are gone for them.
        near = min(float(n), self.horizon)
        mean = h * q * (near + c * (n - near))
        back_in_time = min(1.0, n / self.horizon) if self.horizon > 0 else 1.0
        remaining = self.available + self.held * (1.0 - c) * back_in_time
        # E[Q^2] of quantities spread evenly over 1..2q-1.
        q2 = q * q + max(0.0, (q * q - 1) / 3)
        doubt = MODEL_UNCERTAINTY + PRIOR_UNCERTAINTY * PRIOR_WEIGHT / (
            self.observed + PRIOR_WEIGHT
        )
        var = n * max(0.0, h * q2 - (h * q) ** 2) + (doubt * mean) ** 2 + 1.0
        z = (remaining - mean - q + 0.5) / math.sqrt(var)
        return round(min(0.99, max(0.01, 0.5 * math.erfc(-z / math.sqrt(2)))), 2)


def blend(observed: float, count: float, prior: float) -> float:
    return (observed * count + prior * PRIOR_WEIGHT) / (count + PRIOR_WEIGHT)


def from_figures(
    inv: dict[str, str],
    ledger: list[str | None],
    admitted: int,
    active: int,
    holding: int,
    with_seats: int,
    horizon: float,
) -> Odds:
    """Odds from the inventory, the ledger's ended holds and the room's live counters.

    Live figures (Redis) carry what changes by the second: accounts holding or
    owning seats (`with_seats`), seats taken, shoppers; the ledger (a second or
    two behind) adds only the holds that ended, for the conversion. Mixing a
    stale count of holders with a fresh count of admitted fans would make the
    hold rate, and with it the demand ahead, look too low.
    """
    converted, lapsed = (int(v or 0) for v in ledger)
    available = sum(int(v) for k, v in inv.items() if k.endswith(":available"))
    held = sum(int(v) for k, v in inv.items() if k.endswith(":held"))
    sold = sum(int(v) for k, v in inv.items() if k.endswith(":sold"))
    holders = with_seats + lapsed
    shopping = max(0, active - holding)
    decided = max(holders, admitted - shopping)
    ended = converted + lapsed
    return Odds(
        available=available,
        held=held,
        hold_rate=blend(holders / decided if decided else 0.0, decided, PRIOR_HOLD_RATE),
        conversion=blend(converted / ended if ended else 0.0, ended, PRIOR_CONVERSION),
        quantity=blend(
            (sold + held) / with_seats if with_seats else 0.0, with_seats, PRIOR_QUANTITY
        ),
        shopping=shopping,
        observed=holders,
        horizon=horizon,
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
        ["odds_converted", "odds_lapsed"],
    )
    pipe.hget(keys.queue_state(event_id), "admitted")
    pipe.zcard(keys.active_sessions(event_id))
    pipe.zcard(keys.hold_expiry(event_id))
    pipe.zcard(keys.checkouts(event_id))
    pipe.hlen(keys.user_seats(event_id))
    pipe.hget(keys.queue_state(event_id), "rate_pm")
    pipe.hmget(
        keys.event_meta(event_id), ["hold_ttl_s", "wr_admit_batch_size", "wr_admit_interval_s"]
    )
    raw = await pipe.execute()
    inv, ledger, admitted, active, holding, paying, with_seats, rate_pm, meta = raw
    ttl_s, batch, interval = (float(v or 0) for v in meta)
    per_s = float(rate_pm or 0) / 60 or (batch / interval if interval else 0.0)
    result = from_figures(
        inv,
        ledger,
        int(admitted or 0),
        int(active),
        int(holding) + int(paying),
        int(with_seats),
        horizon=per_s * ttl_s,
    )
    _cache[event_id] = (now, result)
    return result
