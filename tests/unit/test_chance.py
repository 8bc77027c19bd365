"""The chance-of-success model: monotone in place, honest before data, held seats judged by
what their holds are doing, shown only from fresh odds."""

from __future__ import annotations

import msgspec
import pytest

from waiting_room.chance import MAX_AGE_MS, MIN_OBSERVED, Odds, from_figures, shown


def odds(**overrides: object) -> Odds:
    base: dict[str, object] = {
        "available": 100,
        "returning": 0.0,
        "returning_var": 0.0,
        "hold_rate": 1.0,
        "conversion": 0.9,
        "quantity": 2.0,
        "shopping": 0,
        "observed": 100,
        "settled": 100,
    }
    base.update(overrides)
    return Odds(**base)  # type: ignore[arg-type]


def test_chance_falls_with_the_fans_ahead() -> None:
    o = odds(conversion=1.0)
    values = [o.of(n) for n in (0, 10, 30, 45, 50, 55, 70, 100, 500)]
    assert all(v is not None for v in values)
    assert values == sorted(values, reverse=True)  # type: ignore[type-var]
    # 100 seats at 2 a fan: the 50th fan is the edge.
    assert o.of(0) == 0.99
    assert o.of(20) is not None
    assert o.of(20) >= 0.8
    assert o.of(100) is not None
    assert o.of(100) <= 0.2


def test_no_chance_before_enough_holds_were_seen() -> None:
    assert odds(observed=MIN_OBSERVED - 1).of(5) is None
    assert odds(observed=MIN_OBSERVED).of(5) is not None


def test_shoppers_count_as_ahead_and_lapsed_seats_go_to_the_fans_behind() -> None:
    assert odds(shopping=40).of(10) == odds().of(50)
    # The fans ahead keep only the seats of the holds they pay: 60 seats at 2 a fan and
    # half the holds lapsing serve about 60 fans, not 30.
    assert (odds(available=60, conversion=0.5).of(45) or 0) >= 0.8


HELD = {"A:available": "0", "A:held": "100", "A:sold": "80"}


def held_by(paying: int, stale: int) -> Odds:
    """Every seat left held by 50 holds of 2; `paying` in checkout, `stale` left idle for
    half their life; 40 holds of 2 paid before, 10 lapsed."""
    return from_figures(HELD, ["40", "10"], admitted=100, active=50, holding=50,
                        paying=paying, with_seats=90, stale=stale)  # fmt: skip


def test_held_seats_come_back_by_what_their_holds_are_doing() -> None:
    """The room waits for held seats; which come back is told by each hold's state, not by
    the sale's average: holds left idle come back, holds in checkout are paid."""
    left = held_by(paying=0, stale=50)
    paying = held_by(paying=50, stale=0)
    fresh = held_by(paying=0, stale=0)
    assert left.returning == pytest.approx(100 * 0.95)
    assert paying.returning == pytest.approx(100 * 0.02)
    # Fresh idle holds lapse at the sale's rate (holds in checkout and stale ones counted).
    assert fresh.returning == pytest.approx(100 * (1 - fresh.conversion))
    assert (left.of(5) or 0) >= 0.9
    assert (paying.of(5) or 1) <= 0.1
    assert (paying.of(8) or 1) < (fresh.of(8) or 0) < (left.of(8) or 0)
    # What each class gives back is uncertain in its own measure: a sure class adds little.
    assert fresh.returning_var > left.returning_var > 0
    # The sale's own rate for the fans ahead: 10 lapsed + 50 stale of 50 ended + 50 stale.
    assert left.conversion < paying.conversion


def test_the_hold_rate_stands_while_not_every_order_can_be_served() -> None:
    """Fans refused for want of seats still wanted them: they do not make the fans ahead
    look less hungry."""
    inv = {"A:available": "10", "A:held": "0", "A:sold": "90"}
    before = from_figures(inv, ["40", "0"], admitted=40, active=0, holding=0, paying=0,
                          with_seats=40)  # fmt: skip
    assert before.hold_rate > 0.95
    short = {"A:available": "3", "A:held": "0", "A:sold": "97"}

    # Twenty more admitted, one held the seats, nineteen were refused sold_out.
    def later(inv: dict[str, str], previous: Odds | None = None) -> Odds:
        return from_figures(inv, ["41", "0"], admitted=60, active=0, holding=0, paying=0,
                            with_seats=41, max_per_order=4, previous=previous)  # fmt: skip

    assert later(short).hold_rate < 0.8  # what the figures alone say
    assert later(short, previous=before).hold_rate == before.hold_rate
    # With a whole order available again, the rate is learned again.
    assert later(inv, previous=before).hold_rate == later(short).hold_rate


def test_a_chance_is_shown_only_from_fresh_odds() -> None:
    now = 1_000_000
    fresh = msgspec.json.encode(odds(at_ms=now - 1000)).decode()
    assert shown("ev-a", fresh, 10, now) == odds().of(10)
    assert shown("ev-a", fresh, 10, now) is not None
    # The admission tick stopped: odds older than MAX_AGE_MS could not be honest.
    old = msgspec.json.encode(odds(at_ms=now - MAX_AGE_MS - 1)).decode()
    assert shown("ev-a", old, 10, now) is None
    assert shown("ev-a", None, 10, now) is None
    assert shown("ev-a", "", 10, now) is None
    assert shown("ev-b", "[1,2", 10, now) is None


def test_figures_from_redis_and_the_ledger() -> None:
    inv = {
        "A:available": "10",
        "A:held": "4",
        "A:sold": "6",
        "B:available": "0",
        "B:held": "0",
        "B:sold": "20",
        "A:capacity": "20",
        "B:capacity": "20",
    }
    o = from_figures(inv, ["6", "2"], admitted=20, active=3, holding=2, paying=2, with_seats=10)
    assert (o.available, o.shopping) == (10, 1)
    # The 4 held seats are in checkout: all but CHECKOUT_LAPSE of them stay sold.
    assert o.returning == pytest.approx(4 * 0.02)
    # 12 of the 19 fans who decided held; 30 seats over 10 accounts.
    assert 0.6 < o.hold_rate < 0.9
    assert 2.7 < o.quantity < 3.0
    assert o.observed == 12
    # 2 of 10 holds lapsed (6 paid, 2 in checkout count as paid).
    assert 0.78 < o.conversion < 0.81


def test_conversion_counts_holds_in_checkout_as_paid_and_stale_ones_as_lapsing() -> None:
    """The first holds to end are releases: counted over ended holds alone, 5 releases and
    no payment yet read as a conversion of 0, while 45 fans are paying."""
    inv = {"A:available": "0", "A:held": "100", "A:sold": "0"}
    early = from_figures(inv, ["0", "5"], admitted=50, active=45, holding=45, paying=45,
                         with_seats=45)  # fmt: skip
    assert early.conversion > 0.85
    # Holds just made, not yet in checkout, are no sign either way...
    fresh = from_figures(inv, ["0", "5"], admitted=50, active=45, holding=45, paying=25,
                         with_seats=45)  # fmt: skip
    assert fresh.conversion > 0.8
    # ...but holds left idle for half their life are left to expire: lapsing before they do.
    stale = from_figures(inv, ["0", "5"], admitted=50, active=45, holding=45, paying=25,
                         with_seats=45, stale=20)  # fmt: skip
    assert stale.conversion < 0.55
