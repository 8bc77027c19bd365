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
# Seats² added to the variance, so that a margin known to the seat still reads as a chance
# that turns from 99 % to 1 % over a seat or two, not a step.
SMOOTHING = 0.25
# Share of the holds left idle for half their life that expire, before the ledger has seen
# any of them end: on an idle machine nearly all do; under load a paying fan's checkout can
# come that late (at load 22-29 on 2 cores, 51 of 90 such holds were paid after all), which
# the ledger shows as orders written after half their hold's life.
PRIOR_STALE_LAPSE = 1.0
# At most this share of the holds whose fate shows (ended, in checkout or stale) lapse: more
# idle holds than that are checkouts slowed by load, not fans who left (checkouts 40 s late
# made every paying hold stale for ten seconds, and fans shown 98 % got seats 6 % of the time).
MAX_LAPSE = 0.2
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
    # Seats on holds left idle for half their life (coming back) and on idle holds not yet
    # stale (coming back as often as holds lapse); None: every held seat is idle (no hold
    # in checkout). Seats on holds in checkout do not come back.
    stale_seats: float = 0.0
    idle_seats: float | None = None
    # The share of stale holds that expire (the rest are paid by a late checkout).
    stale_lapse: float = 1.0
    # How many fans and holds the hold rate and the conversion rest on (their own doubt).
    fans_decided: float = 100.0
    holds_made: float = 100.0
    # The line's admitted count these figures were read with.
    admitted: int = 0

    def of(self, ahead: int, admitted: int | None = None) -> float | None:
        """Chance (0.01..0.99, two decimals) for a fan with `ahead` fans before it.

        `admitted` is the line's admitted count read with the fan's place (its
        admitted_through): fans admitted since these figures were read are
        shoppers still to hold, whom the fan's `ahead` no longer counts.
        None until MIN_OBSERVED holds were seen: like eta_s, a figure is shown
        only when it can be known honestly.
        """
        if self.observed < MIN_OBSERVED or self.holds_made < MIN_OBSERVED:
            return None
        h, c, q = self.hold_rate, self.conversion, self.quantity
        since = max(0, admitted - self.admitted) if admitted is not None else 0
        n = ahead + self.shopping + since
        # The fans ahead keep the seats of the holds they pay; the room waits for the
        # others to come back before it admits further.
        keeps = h * c
        mean = keeps * q * n
        idle = self.held - self.stale_seats if self.idle_seats is None else self.idle_seats
        s = self.stale_lapse
        remaining = self.available + self.stale_seats * s + idle * (1.0 - c)
        # E[Q^2] of quantities spread evenly over 1..2q-1.
        q2 = q * q + max(0.0, (q * q - 1) / 3)
        spread = max(0.0, q2 - q * q)
        # Chance alone: the fans ahead (each keeps seats or not) and the idle holds (each
        # comes back or not, a hold being about q seats).
        luck = n * max(0.0, keeps * q2 - (keeps * q) ** 2) + idle * q * c * (1 - c)
        luck += self.stale_seats * q * s * (1 - s)
        # The estimates' doubt: each figure measured on few fans moves every fan's margin.
        sd_c = math.sqrt(c * (1 - c) / (self.holds_made + PRIOR_WEIGHT))
        sd_h = math.sqrt(h * (1 - h) / (self.fans_decided + PRIOR_WEIGHT))
        sd_q = math.sqrt(spread / (self.observed + PRIOR_WEIGHT))
        doubt = (
            (sd_c * (h * q * n + idle)) ** 2
            + (sd_h * c * q * n) ** 2
            + (sd_q * keeps * n) ** 2
            + (MODEL_UNCERTAINTY * mean) ** 2
        )
        sigma = math.sqrt(luck + doubt + SMOOTHING)
        # The fan's own order, 1..2q-1 seats alike: it gets seats if what the fans ahead
        # leave covers it (with no seat left, no order fits: taken as q seats on the normal
        # curve, a fan next in line with nothing left was shown 14 %).
        sizes = range(1, max(1, round(2 * q - 1)) + 1)
        margin = remaining - mean + 0.5
        p = sum(0.5 * math.erfc(-(margin - k) / sigma / math.sqrt(2)) for k in sizes) / len(sizes)
        return round(min(0.99, max(0.01, p)), 2)


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
    owning seats (`with_seats`), seats taken, shoppers, holds (`holding`), holds
    in checkout (`paying`), holds left idle for half their life (`stale`); the
    ledger (a second or two behind) adds the holds that ended, for the conversion.
    Mixing a stale count of holders with a fresh count of admitted fans would
    make the hold rate, and with it the demand ahead, look too low.
    """
    converted, lapsed, late_paid, expired = (int(v or 0) for v in [*ledger, 0, 0][:4])
    available = sum(int(v) for k, v in inv.items() if k.endswith(":available"))
    held = sum(int(v) for k, v in inv.items() if k.endswith(":held"))
    sold = sum(int(v) for k, v in inv.items() if k.endswith(":sold"))
    holders = with_seats + lapsed
    # Shoppers still to hold: sessions beyond the holds, and never more than the admitted
    # fans who have not held. A fan who paid keeps its session while it reads its order:
    # counted as a shopper, every paid fan's session was demand ahead again (fans shown
    # 1 % got seats once the last holds lapsed).
    shopping = max(0, min(active - holding, admitted - holders))
    decided = max(holders, admitted - shopping)
    # The share of holds that lapse, over every hold made: released, expired, or left idle
    # for half its life (a paying fan goes to checkout long before). Counted over the holds
    # whose end is known, the releases (which end at once) outweighed the payments, whose
    # checkout marks a hold up to 20 s late on a loaded machine: with checkouts 15 s late,
    # the conversion read 0.3 where 0.9 of holds were paid, and fans shown >= 80 % got seats
    # 38 % of the time. A hold not yet known to lapse counts as paid until it is stale.
    made = converted + lapsed + holding
    # Of the holds that were idle for half their life, the share that expired rather than
    # being paid by a checkout that came late (the ledger's, a few seconds behind).
    stale_lapse = blend(
        expired / (expired + late_paid) if expired + late_paid else 0.0,
        expired + late_paid,
        PRIOR_STALE_LAPSE,
    )
    if stale:
        plausible = MAX_LAPSE * (converted + lapsed + paying + stale) - lapsed
        stale_lapse = max(0.0, min(stale_lapse, plausible / stale))
    lapse = blend(
        (lapsed + stale * stale_lapse) / made if made else 0.0, made, 1.0 - PRIOR_CONVERSION
    )
    quantity = blend((sold + held) / with_seats if with_seats else 0.0, with_seats, PRIOR_QUANTITY)
    # Held seats judged hold by hold: those in checkout stay sold, stale ones come back,
    # idle ones come back as often as holds lapse. (All held seats taken as lapsing at the
    # conversion's rate counted the paying fans' seats as coming back, and promised fans
    # next in line seats that were paid: shown 50 %, got 21 %.)
    per_hold = held / holding if holding else quantity
    stale_seats = min(float(held), stale * per_hold)
    idle_seats = max(0.0, min(held - stale_seats, (holding - paying - stale) * per_hold))
    return Odds(
        available=available,
        held=held,
        hold_rate=blend(holders / decided if decided else 0.0, decided, PRIOR_HOLD_RATE),
        conversion=1.0 - lapse,
        quantity=quantity,
        shopping=shopping,
        observed=holders,
        stale_seats=stale_seats,
        idle_seats=idle_seats,
        stale_lapse=stale_lapse,
        fans_decided=decided,
        holds_made=made,
        admitted=admitted,
    )


_cache: dict[str, tuple[float, Odds]] = {}
# Each event's hold life (s), as last read: the count of stale holds joins the same pipeline.
_hold_ttl_s: dict[str, float] = {}


async def odds(redis: Redis, event_id: str) -> Odds:
    """The event's Odds, read at most once per CACHE_S per process, in one round trip (the
    first read of an event takes a second one, for its hold life)."""
    hit = _cache.get(event_id)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_S:
        return hit[1]
    ttl_known = _hold_ttl_s.get(event_id)
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(keys.inventory(event_id))
    pipe.hmget(
        keys.admission_control(event_id),
        ["odds_converted", "odds_lapsed", "odds_late_paid", "odds_expired"],
    )
    pipe.hget(keys.queue_state(event_id), "admitted")
    pipe.zcard(keys.active_sessions(event_id))
    pipe.zcard(keys.hold_expiry(event_id))
    pipe.zcard(keys.checkouts(event_id))
    pipe.hlen(keys.user_seats(event_id))
    pipe.hget(keys.event_meta(event_id), "hold_ttl_s")
    if ttl_known is not None:
        # Idle holds (not in checkout) that will expire within half a hold's life.
        pipe.zcount(keys.hold_expiry(event_id), "-inf", now_ms() + int(ttl_known * 500))
    inv, ledger, admitted, active, holding, paying, with_seats, ttl_s, *rest = await pipe.execute()
    _hold_ttl_s[event_id] = float(ttl_s or 0)
    if rest:
        stale = int(rest[0])
    else:
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
