"""The chance-of-success model: monotone in place, honest before data, returns counted late."""

from __future__ import annotations

from waiting_room.chance import MIN_OBSERVED, Odds, from_figures


def odds(**overrides: object) -> Odds:
    base: dict[str, object] = {
        "available": 100,
        "held": 0,
        "hold_rate": 1.0,
        "conversion": 0.9,
        "quantity": 2.0,
        "shopping": 0,
        "observed": 100,
        "horizon": 1000.0,
    }
    base.update(overrides)
    return Odds(**base)  # type: ignore[arg-type]


def test_chance_falls_with_the_fans_ahead() -> None:
    o = odds()
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


def test_shoppers_count_as_ahead_and_lapsed_seats_come_back_only_beyond_the_horizon() -> None:
    assert odds(shopping=40).of(10) == odds().of(50)
    near = odds(available=0, held=100, conversion=0.5, horizon=1000.0)
    far = odds(available=0, held=100, conversion=0.5, horizon=10.0)
    # Half the held seats come back, but only once their holds end.
    assert near.of(5) is not None
    assert near.of(5) <= 0.2
    assert far.of(5) is not None
    assert far.of(5) >= 0.8


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
    o = from_figures(inv, ["6", "2"], admitted=20, active=3, holding=2, with_seats=10, horizon=50)
    assert (o.available, o.held, o.shopping) == (10, 4, 1)
    # 12 of the 19 fans who decided held; 6 of 8 ended holds converted; 30 seats / 10 accounts.
    assert 0.6 < o.hold_rate < 0.9
    assert 0.75 < o.conversion < 0.81
    assert 2.5 < o.quantity < 3.0
    assert o.observed == 12
