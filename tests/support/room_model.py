"""A seeded, second-by-second model of one onsale, to calibrate the chance of success.

No servers: the room admits as lua/admit_batch.lua does (a batch a tick, no
more fans than the seats left can serve), fans hold, pay or lapse as
`onsale simulate`'s fans do, and every waiting fan is shown the chance that
waiting_room/chance.py computes from the same figures the API reads (the
inventory, the ledger's ended holds, holds in checkout, admitted and active counts, accounts
with seats). The outcome of each fan is whether it got
seats; the calibration of the chances shown is then that of the estimator
alone, with nothing of the machine's load in it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from waiting_room.chance import from_figures


@dataclass
class Shape:
    fans: int = 2000
    seats: int = 400
    batch: int = 100
    max_per_order: int = 4
    hold_ttl_s: int = 60
    abandon: float = 0.1
    seed: int = 1
    # Seconds from a turn to the hold, and from a paid hold to sold.
    hold_after_s: tuple[int, int] = (1, 3)
    pay_s: tuple[int, int] = (1, 3)
    # The holds ledger (ended holds, for the conversion) is this many seconds behind.
    ledger_lag_s: int = 2
    # Seconds a paying fan's hold stays idle before its checkout marks it (the PaymentIntent
    # is created first: about 20 s on a loaded machine).
    checkout_lag_s: int = 0


@dataclass
class Fan:
    quantity: int
    admitted_at: int = -1
    hold_at: int = -1
    ends_at: int = -1
    held: int = 0
    pays: bool = True
    done: bool = False


@dataclass
class Outcome:
    shown: dict[int, list[float]] = field(default_factory=dict)
    got: set[int] = field(default_factory=set)
    refused: int = 0
    admitted: int = 0


def run(shape: Shape) -> Outcome:
    """Every fan to the end; the chances shown each second and who got seats."""
    rng = random.Random(shape.seed)
    fans = [Fan(quantity=rng.randint(1, shape.max_per_order)) for _ in range(shape.fans)]
    for fan in fans:
        fan.pays = rng.random() >= shape.abandon
    line = list(range(shape.fans))
    head = 0
    available, held, sold = shape.seats, 0, 0
    with_seats: set[int] = set()
    ended: list[tuple[int, bool, bool]] = []  # (second, converted, expired) of each ended hold
    out = Outcome()
    shopping: set[int] = set()
    t = 0
    while t < 3600:
        # Holds, payments and lapses due this second.
        for i in sorted(shopping):
            fan = fans[i]
            if fan.hold_at == t and not fan.held:
                if available >= fan.quantity:
                    available -= fan.quantity
                    held += fan.quantity
                    fan.held = fan.quantity
                    with_seats.add(i)
                    out.got.add(i)
                    if fan.pays:
                        fan.ends_at = t + shape.checkout_lag_s + rng.randint(*shape.pay_s)
                    elif rng.random() < 0.5:
                        fan.ends_at = t + 1  # released at once
                    else:
                        fan.ends_at = t + shape.hold_ttl_s  # left to expire
                else:
                    out.refused += 1
                    fan.done = True
            elif fan.held and fan.ends_at == t:
                held -= fan.held
                if fan.pays:
                    sold += fan.held
                else:
                    available += fan.held
                    with_seats.discard(i)
                ended.append((t, fan.pays, fan.ends_at - fan.hold_at >= shape.hold_ttl_s))
                fan.done = True
        shopping = {i for i in shopping if not fans[i].done}
        if head >= len(line) and not shopping:
            break
        if available <= 0 and held <= 0:
            break  # sold out: the room closes, everyone still waiting gets nothing
        # The API's figures, read before this second's admission tick (each process reads them
        # once a second: a fan's place is fresher than the figures its chance is computed from).
        seen = t - shape.ledger_lag_s
        converted = sum(1 for s, paid, _ in ended if s <= seen and paid)
        lapsed = sum(1 for s, paid, _ in ended if s <= seen and not paid)
        expired = sum(1 for s, _, gone in ended if s <= seen and gone)
        # Paid after all, by a checkout that came after half the hold's life.
        late_paid = sum(
            1
            for fan in fans
            if fan.held
            and fan.pays
            and shape.checkout_lag_s >= shape.hold_ttl_s / 2
            and fan.hold_at + shape.checkout_lag_s <= seen
        )
        # Holds in checkout: paying fans whose checkout has marked their hold.
        paying = sum(
            1
            for i in shopping
            if fans[i].held and fans[i].pays and t >= fans[i].hold_at + shape.checkout_lag_s
        )
        # Idle holds within half a hold's life of expiry (a paying fan's too, if its checkout
        # is that late).
        stale = sum(
            1
            for i in shopping
            if fans[i].held
            and not (fans[i].pays and t >= fans[i].hold_at + shape.checkout_lag_s)
            and fans[i].hold_at + shape.hold_ttl_s - t <= shape.hold_ttl_s / 2
        )
        inv = {"A:available": str(available), "A:held": str(held), "A:sold": str(sold)}
        odds = from_figures(
            inv,
            [str(converted), str(lapsed), str(late_paid), str(expired)],
            admitted=out.admitted,
            active=len(shopping),
            holding=sum(1 for i in shopping if fans[i].held),
            paying=paying,
            with_seats=len(with_seats),
            stale=stale,
        )
        # The admission tick (admit_batch.lua).
        holding = sum(1 for i in shopping if fans[i].held)
        buyers = len(with_seats)
        per_fan = max(1.0, (held + sold) / buyers) if buyers >= 20 else float(shape.max_per_order)
        pending = max(0.0, len(shopping) - holding)
        seats_left = available - pending * per_fan
        servable = math.floor(seats_left / per_fan) if seats_left > 0 else 0
        if servable < 1 and available >= 1 and pending < 1:
            servable = 1
        admit = min(shape.batch, servable, len(line) - head)
        for i in line[head : head + admit]:
            fans[i].admitted_at = t
            fans[i].hold_at = t + rng.randint(*shape.hold_after_s)
            shopping.add(i)
        head += admit
        out.admitted += admit
        # What every waiting fan is shown this second: its place read now, the figures above.
        for ahead, i in enumerate(line[head:]):
            chance = odds.of(ahead, out.admitted)
            if chance is None:
                break
            out.shown.setdefault(i, []).append(chance)
            if chance <= 0.01 and ahead > 50:
                break  # everyone further back is shown 1 % too
        t += 1
    return out
