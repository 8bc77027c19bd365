"""Chance of success of a waiting fan: will seats be left when its turn comes?

Model (per event, one read per second per process, cached). The fans served
first are the n = `ahead` plus the admitted shoppers who have not held yet.
Each holds with probability h and takes q seats on average (h = share of
admitted fans who hold, q = mean seats per account with seats); a hold is
paid with probability c (hold conversion) and otherwise lapses and gives its
seats back. The room admits no more fans than the seats left can serve
(lua/admit_batch.lua): it waits for held seats to be paid or come back before
it admits further, so a lapsed hold's seats go to the fans behind it. Seats
left for the fan are then the seats available plus the held seats that will
lapse, `R = available + held * (1 - c)`, and the fans ahead keep `D`, normal
with mean `h*c*q*n`, the variance of n independent fans, plus the doubt of
the estimates themselves (h, c, q measured on few fans early: the spread of
q over the accounts seen, and a floor for what the model leaves out). The fan
succeeds when the seats left, minus D, still cover its own q:
`chance = Phi((R - mean(D) - q + 0.5) / sigma)`.
h and q come from live Redis counters (accounts with seats, seats taken,
admitted fans); c from the holds ledger (copied into the event's control
hash by the admission-control cron every two seconds) as one minus the
share of every hold made so far that lapsed: counted over ended holds only,
the releases of the first seconds (which end at once) outweighed the
payments still under way, and c read 0.76 where 0.9 of holds were paid, so
fans near the front were promised seats that never came back (shown >= 80 %,
34 % got seats). Each figure is blended with a prior in proportion to how
many fans it rests on. Before MIN_OBSERVED holds, no chance is shown: the
priors alone would speak, and they know nothing of this sale's shop.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from app.core import keys
from app.core.clock import now_ms

PRIOR_HOLD_RATE = 0.9
PRIOR_CONVERSION = 0.8
PRIOR_QUANTITY = 2.5
# A prior weighs as much as this many observed holds (a sale's own figures take over fast:
# weighed as 20, a prior of 2.5 seats a fan still spoke for half of what 20 accounts showed).
PRIOR_WEIGHT = 5.0
# What the model leaves out (fans who change their mind, quantities that drift), as a share
# of the demand ahead; the estimates' own doubt comes on top and shrinks as fans are seen.
MODEL_UNCERTAINTY = 0.05
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

    def of(self, ahead: int) -> float | None:
        """Chance (0.01..0.99, two decimals) for a fan with `ahead` fans before it.

        None until MIN_OBSERVED holds were seen: like eta_s, a figure is shown
        only when it can be known honestly.
        """
        if self.observed < MIN_OBSERVED:
            return None
        h, c, q = self.hold_rate, self.conversion, self.quantity
        n = ahead + self.shopping
        # The fans ahead keep the seats of the holds they pay; the room waits for the
        # others to come back before it admits further.
        keeps = h * c
        mean = keeps * q * n
        remaining = self.available + self.held * (1.0 - c)
        # E[Q^2] of quantities spread evenly over 1..2q-1.
        q2 = q * q + max(0.0, (q * q - 1) / 3)
        # The relative error of q measured over `observed` accounts (priors count as fans).
        doubt = MODEL_UNCERTAINTY + math.sqrt(
            max(0.0, q2 - q * q) / (q * q) / (self.observed + PRIOR_WEIGHT)
        )
        var = n * max(0.0, keeps * q2 - (keeps * q) ** 2) + (doubt * mean) ** 2 + 1.0
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
    paying: int,
    with_seats: int,
    stale: int = 0,
) -> Odds:
    """Odds from the inventory, the holds ledger and the room's live counters.

    Live figures (Redis) carry what changes by the second: accounts holding or
    owning seats (`with_seats`), seats taken, shoppers, holds in checkout
    (`paying`), holds left idle for half their life (`stale`); the ledger (a
    second or two behind) adds the holds that ended, for the conversion.
    Mixing a stale count of holders with a fresh count of admitted fans would
    make the hold rate, and with it the demand ahead, look too low.
    """
    converted, lapsed = (int(v or 0) for v in ledger)
    available = sum(int(v) for k, v in inv.items() if k.endswith(":available"))
    held = sum(int(v) for k, v in inv.items() if k.endswith(":held"))
    sold = sum(int(v) for k, v in inv.items() if k.endswith(":sold"))
    holders = with_seats + lapsed
    shopping = max(0, active - holding)
    decided = max(holders, admitted - shopping)
    # Holds in checkout now count as paid: counted over ended holds only, the releases of
    # the first seconds (which end at once) outweigh the payments still under way.
    # Holds in checkout count as paid, and holds left idle for half their life (a paying fan
    # goes to checkout long before) as lapsed: counted over ended holds only, the releases of
    # the first seconds (which end at once) outweigh the payments still under way, and the
    # holds left to expire are seen only a hold's life later.
    decided_holds = converted + lapsed + paying + stale
    lapse = blend(
        (lapsed + stale) / decided_holds if decided_holds else 0.0,
        decided_holds,
        1.0 - PRIOR_CONVERSION,
    )
    return Odds(
        available=available,
        held=held,
        hold_rate=blend(holders / decided if decided else 0.0, decided, PRIOR_HOLD_RATE),
        conversion=1.0 - lapse,
        quantity=blend(
            (sold + held) / with_seats if with_seats else 0.0, with_seats, PRIOR_QUANTITY
        ),
        shopping=shopping,
        observed=holders,
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
    pipe.hmget(keys.admission_control(event_id), ["odds_converted", "odds_lapsed"])
    pipe.hget(keys.queue_state(event_id), "admitted")
    pipe.zcard(keys.active_sessions(event_id))
    pipe.zcard(keys.hold_expiry(event_id))
    pipe.zcard(keys.checkouts(event_id))
    pipe.hlen(keys.user_seats(event_id))
    pipe.hget(keys.event_meta(event_id), "hold_ttl_s")
    inv, ledger, admitted, active, holding, paying, with_seats, ttl_s = await pipe.execute()
    # Idle holds (not in checkout) that will expire within half a hold's life.
    half_life_ms = int(float(ttl_s or 0) * 500)
    stale = await redis.zcount(keys.hold_expiry(event_id), "-inf", now_ms() + half_life_ms)
    result = from_figures(
        inv,
        ledger,
        int(admitted or 0),
        int(active),
        int(holding) + int(paying),
        int(paying),
        int(with_seats),
        stale=int(stale),
    )
    _cache[event_id] = (now, result)
    return result
