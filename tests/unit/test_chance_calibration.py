"""The chance of success against what happens, on a modelled room (tests/support/room_model.py).

Deterministic: seeded fans, the room's admission rule, and the estimator of
waiting_room/chance.py fed the figures the API reads, up to a second older than
the fan's place (as the API's cache is). The honest wording's promise, both ways:
fans shown a middle chance (20-80 %) get seats within 15 points of what they were
shown, counted over every show, and fans shown 80 % or more get seats 80 % of the
time. Rooms whose checkouts mark a hold late (15-20 s, as on a loaded machine) are
held to the same bound: their paying fans' holds look idle, which is where the
estimator of the previous round promised seats that were paid.

Where it still errs, and which way (asserted, so a change that moves it is seen):
- a large room with checkouts that mark a hold at once errs low (fans shown 30 %
  got seats about 60 % of the time): a hold left to expire counts as paid until it
  has been idle for half its life, so the conversion reads high until then;
- checkouts that come after half a hold's life (40 s late, as at load 25 on 2
  cores) make every paying hold look left to expire: until the ledger shows holds
  paid that late, stale holds are taken to come back only up to a plausible share
  of lapses (20 % of the holds whose fate shows), and the middle bins err high by
  up to 25 points;
- a sale where 30 % of the holds lapse errs low (that cap holds back the lapses);
- each fan's first chance rests on the first 10-25 holds, one snapshot a sale:
  counted first-shown only, it errs up to 20 points either way on eight seeds.
"""

from __future__ import annotations

import pytest

from devtools.calibration import Calibration, Row
from tests.support.room_model import Shape, run

SEEDS = range(1, 9)


def calibration(**shape: float) -> Calibration:
    shown: dict[str, list[float]] = {}
    got: set[str] = set()
    for seed in SEEDS:
        out = run(Shape(seed=seed, **shape))
        shown.update({f"{seed}:{fan}": values for fan, values in out.shown.items()})
        got.update(f"{seed}:{fan}" for fan in out.got)
    return Calibration(shown, got)


def middle(cal: Calibration, *, first_only: bool = False, least: int = 100) -> list[Row]:
    rows = cal.rows(first_only=first_only)[1:-1]
    for row in rows:
        assert row.shown >= least, cal.markdown()  # enough fans in the middle to judge
        assert row.got is not None
    return rows


def high_bin_holds(cal: Calibration) -> None:
    high = cal.rows(first_only=False)[-1]
    assert high.got is not None
    assert high.got >= 0.8, cal.markdown()


@pytest.mark.parametrize(
    "shape",
    [
        {"fans": 2000, "seats": 400, "batch": 20},
        {"fans": 2000, "seats": 400, "batch": 20, "checkout_lag_s": 15},
        {"fans": 2000, "seats": 400, "batch": 100, "checkout_lag_s": 20},
    ],
    ids=["2000-fans-400-seats", "checkouts-15s-late", "admit-100-late-20s"],
)
def test_fans_get_seats_within_15_points_of_the_chance_shown(shape: dict[str, int]) -> None:
    cal = calibration(**shape)
    for row in middle(cal):
        assert row.got is not None
        assert abs(row.got - row.mean_shown) <= 0.15, cal.markdown()
    high_bin_holds(cal)


def test_a_large_room_with_instant_checkouts_errs_low_not_high() -> None:
    cal = calibration(fans=2000, seats=1000, batch=50)
    for row in middle(cal):
        assert row.got is not None
        assert row.mean_shown - 0.15 <= row.got <= row.mean_shown + 0.35, cal.markdown()
    high_bin_holds(cal)


def test_checkouts_later_than_half_a_hold_s_life_err_high_by_at_most_25_points() -> None:
    cal = calibration(fans=2000, seats=400, batch=20, checkout_lag_s=40)
    for row in middle(cal):
        assert row.got is not None
        assert row.mean_shown - 0.25 <= row.got <= row.mean_shown + 0.15, cal.markdown()


def test_many_lapsing_holds_err_low_not_high() -> None:
    cal = calibration(fans=2000, seats=400, batch=20, abandon=0.3, checkout_lag_s=10)
    for row in middle(cal):
        assert row.got is not None
        assert row.got >= row.mean_shown - 0.15, cal.markdown()
    high_bin_holds(cal)


@pytest.mark.parametrize(
    "shape",
    [
        {"fans": 2000, "seats": 400, "batch": 20},
        {"fans": 2000, "seats": 400, "batch": 20, "checkout_lag_s": 15},
    ],
    ids=["2000-fans-400-seats", "checkouts-15s-late"],
)
def test_the_first_chance_a_fan_is_shown_is_within_20_points(shape: dict[str, int]) -> None:
    cal = calibration(**shape)
    for row in middle(cal, first_only=True, least=50):
        assert row.got is not None
        assert abs(row.got - row.mean_shown) <= 0.2, cal.markdown()
