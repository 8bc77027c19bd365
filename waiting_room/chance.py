"""Chance of success of a waiting fan: will seats be left when its turn comes?

Model. The fans served first are the n = `ahead` plus the admitted shoppers
who have not held yet. Each holds with probability h and takes q seats on
average (h = share of admitted fans who hold, q = mean seats per account with
seats); a hold is paid with probability c and otherwise lapses and gives its
seats back. The room admits no more fans than the seats left can serve
(lua/admit_batch.lua): it waits for held seats to be paid or come back before
it admits further, so a lapsed hold's seats go to the fans behind it. The
fans ahead keep `D`, normal with mean `h*c*q*n`, the variance of n independent
fans plus the doubt of the estimates themselves (the spread of q over the
accounts seen, and a floor for what the model leaves out). The fan succeeds
when the seats left, minus D, still cover its own q:
`chance = Phi((available + returning - mean(D) - q + 0.5) / sigma)`.

`returning` is what the holds held now will give back, each by what it is
doing, not by the sale's average: a hold in checkout is paid (all but the
few that fail), a hold left idle for half its life (`stale_after_ms`) is left
to expire, a fresh hold lapses at the sale's rate. Averaged over every held
seat, the seats of holds left to expire were counted as mostly paid and those
in checkout as partly coming back: on a modelled room, while the room
waited for held seats, the estimator put the last winner at the front of the
line with 18 winners still waiting (`onsale simulate`, 2,000 fans for 400
seats, had fans shown about 30 % get seats 83 % of the time).

c is one minus the share of the holds made so far that lapsed, holds in
checkout counting as paid and stale ones as lapsed (over ended holds only,
the releases of the first seconds outweighed the payments still under way).
h is learned only while every order can still be served: a fan refused for
want of seats at the end still wanted them, and counted as a fan who holds
nothing it made the fans ahead look less hungry than they are. Each figure is
blended with a prior in proportion to how many fans it rests on. Before
MIN_OBSERVED holds, no chance is shown: the priors alone would speak.

Where it runs: the admission tick computes the event's Odds once a second
(`refresh`, in the worker) and stores them in the queue state hash; the
status script returns them with the fan's place, so a fan's chance costs the
status call no round trip of its own (`shown`).
"""

from __future__ import annotations

import math

import msgspec
from redis.asyncio import Redis

from app.core import keys

PRIOR_HOLD_RATE = 0.9
PRIOR_CONVERSION = 0.8
PRIOR_QUANTITY = 2.5
# A prior weighs as much as this many observed holds (a sale's own figures take over fast:
# weighed as 20, a prior of 2.5 seats a fan still spoke for half of what 20 accounts showed).
PRIOR_WEIGHT = 5.0
# What the model leaves out (fans who change their mind, quantities that drift), as a share
# of the demand ahead; the estimates' own doubt comes on top and shrinks as fans are seen.
MODEL_UNCERTAINTY = 0.05
# Below this many fans with holds the odds are mostly priors: no chance is shown.
MIN_OBSERVED = 10
# A hold idle (not in checkout) for this share of its life is taken as left to expire. (A
# shorter wait, twice the time within which 9 in 10 paid holds were paid, was tried: on a
# loaded machine a paying fan's hold stays idle while its checkout request creates the
# PaymentIntent, 20 s at the median and 56 s at p99 for a 60 s hold, so paying holds were
# counted as coming back and fans shown >= 80 % got seats 56 % of the time.)
STALE_SHARE = 0.5
# Of the holds left idle that long, the share that still lapses; of those in checkout, the
# share whose payment fails and whose seats come back.
STALE_LAPSE = 0.95
CHECKOUT_LAPSE = 0.02
# Odds older than this (the admission tick stopped) are not shown: they could not be honest.
MAX_AGE_MS = 10_000


class Odds(msgspec.Struct, frozen=True, array_like=True):
    """An event's figures for the chance of every waiting fan (stored as a JSON array)."""

    available: int
    returning: float  # seats the holds now held are expected to give back
    returning_var: float  # and the variance of that
    hold_rate: float
    conversion: float
    quantity: float
    shopping: int  # admitted shoppers who have not held yet
    observed: int  # fans with holds the figures rest on
    at_ms: int = 0  # when the figures were read
    settled: int = 0  # holds whose end is known (paid, lapsed, or stale): c rests on them

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
        remaining = self.available + self.returning
        # E[Q^2] of quantities spread evenly over 1..2q-1.
        q2 = q * q + max(0.0, (q * q - 1) / 3)
        # The relative errors of q measured over `observed` accounts and of c over the
        # holds whose end is known (priors count as fans): holds in checkout are not, and
        # early in a sale c rests on a few fast payments and releases.
        doubt = (
            MODEL_UNCERTAINTY
            + math.sqrt(max(0.0, q2 - q * q) / (q * q) / (self.observed + PRIOR_WEIGHT))
            + math.sqrt(c * (1.0 - c) / (self.settled + PRIOR_WEIGHT)) / max(c, 0.01)
        )
        var = (
            n * max(0.0, keeps * q2 - (keeps * q) ** 2)
            + (doubt * mean) ** 2
            + self.returning_var
            + max(0.0, q2 - q * q)  # the fan's own quantity
            + 1.0
        )
        z = (remaining - mean - q + 0.5) / math.sqrt(var)
        return round(min(0.99, max(0.01, 0.5 * math.erfc(-z / math.sqrt(2)))), 2)


def stale_after_ms(hold_ttl_s: float) -> float:
    """How long a hold stays idle before it is taken as left to expire."""
    return hold_ttl_s * 1000 * STALE_SHARE


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
    *,
    max_per_order: int = 0,
    previous: Odds | None = None,
    at_ms: int = 0,
) -> Odds:
    """Odds from the inventory, the holds ledger and the room's live counters.

    Live figures (Redis) carry what changes by the second: accounts holding or
    owning seats (`with_seats`), seats taken, shoppers, holds now held
    (`holding`), of them in checkout (`paying`) and left idle past
    `stale_after_ms` (`stale`); the ledger (a second or two behind) adds the holds
    that ended, for the conversion. Mixing a stale count of holders with a
    fresh count of admitted fans would make the hold rate, and with it the
    demand ahead, look too low. `previous` (the last Odds stored) keeps the
    hold rate while fewer than `max_per_order` seats are available.
    """
    converted, lapsed = (int(v or 0) for v in ledger)
    available = sum(int(v) for k, v in inv.items() if k.endswith(":available"))
    held = sum(int(v) for k, v in inv.items() if k.endswith(":held"))
    sold = sum(int(v) for k, v in inv.items() if k.endswith(":sold"))
    holders = with_seats + lapsed
    shopping = max(0, active - holding)
    decided = max(holders, admitted - shopping)
    # Holds in checkout count as paid, and stale holds (a paying fan goes to checkout long
    # before) as lapsed: counted over ended holds only, the releases of the first seconds
    # (which end at once) outweigh the payments still under way, and the holds left to
    # expire are seen only a hold's life later.
    decided_holds = converted + lapsed + paying + stale
    lapse = blend(
        (lapsed + stale) / decided_holds if decided_holds else 0.0,
        decided_holds,
        1.0 - PRIOR_CONVERSION,
    )
    # The seats now held, by what their holds are doing (seats a hold: the mean over them).
    per_hold = held / holding if holding else 0.0
    idle = max(0, holding - paying)
    stale = min(stale, idle)
    classes = ((stale, STALE_LAPSE), (paying, CHECKOUT_LAPSE), (idle - stale, lapse))
    returning = per_hold * sum(n * p for n, p in classes)
    returning_var = per_hold * per_hold * sum(n * p * (1.0 - p) for n, p in classes)
    if previous is not None and available < max_per_order:
        # Fans refused for want of seats still wanted them: the rate seen while every
        # order could be served stands.
        hold_rate = previous.hold_rate
    else:
        hold_rate = blend(holders / decided if decided else 0.0, decided, PRIOR_HOLD_RATE)
    return Odds(
        available=available,
        returning=returning,
        returning_var=returning_var,
        hold_rate=hold_rate,
        conversion=1.0 - lapse,
        quantity=blend(
            (sold + held) / with_seats if with_seats else 0.0, with_seats, PRIOR_QUANTITY
        ),
        shopping=shopping,
        observed=holders,
        at_ms=at_ms,
        settled=converted + lapsed + stale,
    )


ODDS_FIELD = "odds"
_decoder = msgspec.json.Decoder(Odds)
_encoder = msgspec.json.Encoder()
# The last stored odds decoded, per event: every status poll of a second reads the same.
_decoded: dict[str, tuple[bytes | str, Odds]] = {}


def decode(event_id: str, raw: bytes | str) -> Odds | None:
    hit = _decoded.get(event_id)
    if hit is not None and hit[0] == raw:
        return hit[1]
    try:
        odds = _decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    _decoded[event_id] = (raw, odds)
    return odds


def shown(event_id: str, raw: bytes | str | None, ahead: int, now_ms: int) -> float | None:
    """The chance of a waiting fan from the odds the status script returned (None: none
    stored, stale, or not yet knowable)."""
    if not raw:
        return None
    odds = decode(event_id, raw)
    if odds is None or now_ms - odds.at_ms > MAX_AGE_MS:
        return None
    return odds.of(ahead)


async def refresh(redis: Redis, event_id: str, now_ms: int) -> Odds:
    """Read the event's figures, compute its Odds and store them for the status script
    (the admission tick, once a second: never on a fan's request)."""
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(keys.inventory(event_id))
    pipe.hmget(keys.admission_control(event_id), ["odds_converted", "odds_lapsed"])
    pipe.hmget(keys.queue_state(event_id), ["admitted", ODDS_FIELD])
    pipe.zcard(keys.active_sessions(event_id))
    pipe.zcard(keys.hold_expiry(event_id))
    pipe.zcard(keys.checkouts(event_id))
    pipe.hlen(keys.user_seats(event_id))
    pipe.hmget(keys.event_meta(event_id), ["hold_ttl_s", "max_per_order"])
    (
        inv,
        (converted, lapsed),
        (admitted, stored),
        active,
        idle,
        paying,
        with_seats,
        (ttl_s, max_per_order),
    ) = await pipe.execute()
    # Idle holds (not in checkout, scored by their expiry) idle for stale_after_ms or more.
    ttl_s = float(ttl_s or 0)
    idle_for = stale_after_ms(ttl_s)
    stale = await redis.zcount(
        keys.hold_expiry(event_id), "-inf", now_ms + int(ttl_s * 1000 - idle_for)
    )
    odds = from_figures(
        inv,
        [converted, lapsed],
        int(admitted or 0),
        int(active),
        int(idle) + int(paying),
        int(paying),
        int(with_seats),
        stale=int(stale),
        max_per_order=int(max_per_order or 0),
        previous=decode(event_id, stored) if stored else None,
        at_ms=now_ms,
    )
    encoded = _encoder.encode(odds).decode()
    await redis.hset(keys.queue_state(event_id), ODDS_FIELD, encoded)  # type: ignore[misc]
    return odds
