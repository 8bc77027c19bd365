"""The chance of success against what happens, on a modelled room (tests/support/room_model.py).

Deterministic: seeded fans, the room's admission rule, and the estimator of
waiting_room/chance.py fed the figures the admission tick reads. The honest
wording's promise, both ways: fans shown a middle chance (20-40 %, 40-60 %,
60-80 %) get seats within 15 points of the chance they were shown, fans shown
80 % or more get seats at least 80 % of the time and fans shown 20 % or less
at most 20 % of the time. Three rooms: seats for a fifth of the fans, and a
busy machine's checkouts (fans reach checkout up to 6 s after their hold and
are paid 5-15 s later, as in a loaded `onsale simulate`) with seats for a fifth
and for half of them. A fourth, seats for half the fans paid within seconds, is
held to the one-sided promise only (see its test).
"""

from __future__ import annotations

from typing import Any

import pytest

from devtools.calibration import Calibration
from tests.support.room_model import Shape, run

SEEDS = range(1, 9)
# A middle bin is judged on at least this many fans (and every bin must have them: a
# test whose bins stay empty could not fail).
MIN_FANS = 30
TOLERANCE = 0.15


def calibration(**shape: Any) -> Calibration:
    shown: dict[str, list[float]] = {}
    got: set[str] = set()
    for seed in SEEDS:
        out = run(Shape(seed=seed, **shape))
        shown.update({f"{seed}:{fan}": values for fan, values in out.shown.items()})
        got.update(f"{seed}:{fan}" for fan in out.got)
    return Calibration(shown, got)


SLOW_CHECKOUTS = {"checkout_after_s": (1, 6), "pay_s": (5, 15)}


@pytest.mark.parametrize(
    "shape",
    [
        {"fans": 2000, "seats": 400, "batch": 20},
        {"fans": 2000, "seats": 400, "batch": 20, **SLOW_CHECKOUTS},
        {"fans": 2000, "seats": 1000, "batch": 50, **SLOW_CHECKOUTS},
    ],
    ids=["2000-fans-400-seats", "400-seats-slow-checkouts", "1000-seats-slow-checkouts"],
)
def test_fans_get_seats_as_often_as_they_were_shown(shape: dict[str, Any]) -> None:
    cal = calibration(**shape)
    rows = cal.rows(first_only=False)
    for row in rows[1:-1]:
        assert row.fans >= MIN_FANS, cal.markdown()  # enough fans in the middle to judge
        assert row.got is not None
        assert abs(row.got - row.mean_shown) <= TOLERANCE, (row.label, cal.markdown())
    low, high = rows[0], rows[-1]
    assert high.got is not None
    assert low.got is not None
    assert high.got >= 0.8, cal.markdown()
    assert low.got <= 0.2, cal.markdown()


def test_a_large_room_with_fast_checkouts_promises_no_fan_more_than_it_gets() -> None:
    """Seats for half the fans, paid within seconds: the estimator still errs low in the
    upper middle (fans shown 40-80 % got seats 69-88 % of the time: early in the sale the
    holds left to expire are not yet told from paying ones, so the demand ahead looks
    larger than it is). It must not err the other way."""
    cal = calibration(fans=2000, seats=1000, batch=50)
    rows = cal.rows(first_only=False)
    for row in rows[1:-1]:
        assert row.fans >= MIN_FANS, cal.markdown()
        assert row.got is not None
        assert row.got >= row.mean_shown - TOLERANCE, (row.label, cal.markdown())
    low, high = rows[0], rows[-1]
    assert high.got is not None
    assert low.got is not None
    assert high.got >= 0.8, cal.markdown()
    assert low.got <= 0.2, cal.markdown()
