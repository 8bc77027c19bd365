"""The chance-of-success model: monotone in place, honest before data, returns counted late."""

from __future__ import annotations

from waiting_room.chance import MAX_LAPSE, MIN_OBSERVED, Odds, from_figures


def odds(**overrides: object) -> Odds:
    base: dict[str, object] = {
        "available": 100,
        "held": 0,
        "hold_rate": 1.0,
        "conversion": 0.9,
        "quantity": 2.0,
        "shopping": 0,
        "observed": 100,
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
    # Every seat held; half the holds lapse. The room waits for them, so their seats go
    # to the fans next in line, whatever the pace of admission.
    lapsing = odds(available=0, held=100, conversion=0.5)
    paying = odds(available=0, held=100, conversion=1.0)
    assert (lapsing.of(5) or 0) >= 0.8
    assert (paying.of(5) or 1) <= 0.2
    # The fans ahead keep only the seats of the holds they pay: 60 seats at 2 a fan and
    # half the holds lapsing serve about 60 fans, not 30.
    assert (odds(available=60, conversion=0.5).of(45) or 0) >= 0.8


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
    assert (o.available, o.held, o.shopping) == (10, 4, 1)
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
    # ...but holds left idle for half their life are left to expire: lapsing before they do,
    # as many as a plausible share of lapses allows (more idle holds are slow checkouts).
    stale = from_figures(inv, ["0", "5"], admitted=50, active=45, holding=45, paying=40,
                         with_seats=45, stale=5)  # fmt: skip
    assert stale.stale_lapse == 1.0
    assert stale.conversion < 0.82
    crowded = from_figures(inv, ["0", "5"], admitted=50, active=45, holding=45, paying=25,
                           with_seats=45, stale=20)  # fmt: skip
    assert crowded.stale_lapse == 0.25  # 20 % of the 50 holds whose fate shows, less 5 released
    assert crowded.conversion >= 1 - MAX_LAPSE - 0.01


def test_held_seats_are_judged_hold_by_hold() -> None:
    """Seats of holds in checkout stay sold; stale holds' seats come back; idle holds' seats
    come back as often as holds lapse. 100 held seats, 50 fans each 2 seats, 10 % lapse."""
    inv = {"A:available": "0", "A:held": "100", "A:sold": "0"}

    def with_holds(paying: int, stale: int) -> Odds:
        return from_figures(inv, ["0", "5"], admitted=55, active=50, holding=50, paying=paying,
                            with_seats=50, stale=stale)  # fmt: skip

    paying = with_holds(paying=50, stale=0)
    assert (paying.stale_seats, paying.idle_seats) == (0.0, 0.0)
    assert (paying.of(0) or 1) <= 0.05  # nothing comes back: no chance for the next fan
    stale = with_holds(paying=45, stale=5)
    assert stale.stale_seats == 10.0
    assert stale.idle_seats == 0.0
    assert stale.stale_lapse == 1.0
    # 10 seats come back: the next fans get them, those 8 places back do not.
    assert (stale.of(1) or 0) >= 0.8
    assert (stale.of(8) or 1) <= 0.2
    idle = with_holds(paying=0, stale=0)
    assert idle.idle_seats == 100.0
    # Fresh idle holds are no sign of lapsing: counted at the share of holds that lapse
    # (5 of 55 made), about 9 seats come back, not all 100.
    assert (idle.of(1) or 0) >= 0.5
    assert (idle.of(8) or 1) <= 0.2


def test_a_paid_fan_reading_its_order_is_not_a_shopper() -> None:
    """Every admitted fan held (30); 10 paid and still poll their order with their session:
    sessions beyond the holds (10) are not fans still to hold."""
    inv = {"A:available": "40", "A:held": "40", "A:sold": "20"}
    o = from_figures(inv, ["10", "0"], admitted=30, active=30, holding=20, paying=20,
                     with_seats=30)  # fmt: skip
    assert o.shopping == 0
    # One admitted fan has not held yet: it is a shopper, whatever the sessions say.
    o = from_figures(inv, ["10", "0"], admitted=31, active=31, holding=20, paying=20,
                     with_seats=30)  # fmt: skip
    assert o.shopping == 1


def test_fans_admitted_since_the_figures_were_read_count_ahead() -> None:
    """The figures are cached for a second; the fan's place is read now. Fans admitted in
    between are in neither its `ahead` nor the figures' shoppers: they count as shoppers."""
    o = odds(admitted=100, conversion=1.0)
    assert o.of(10, 120) == o.of(30)
    assert o.of(10, 100) == o.of(10)
    assert o.of(10, 90) == o.of(10)  # never fewer than the place says
    assert o.of(10) == o.of(10, None)


def test_a_late_checkout_does_not_make_the_first_releases_the_rule() -> None:
    """On a loaded machine the checkout marks a hold ~20 s after it was made: for those
    seconds 45 paying holds look idle while 5 releases have ended. Over every hold made,
    the conversion stays near 0.9; over the holds whose end was known it read 0.4."""
    inv = {"A:available": "0", "A:held": "90", "A:sold": "0"}
    o = from_figures(inv, ["0", "5"], admitted=50, active=45, holding=45, paying=0,
                     with_seats=45)  # fmt: skip
    assert o.conversion > 0.85
    # About 10 of the 90 held seats come back: 4 or 5 fans' worth, not 20 fans' (the
    # conversion of 0.4 showed 99 % to the fans 15 places back).
    assert (o.of(0) or 0) >= 0.8
    assert (o.of(10) or 1) <= 0.2


def test_no_chance_before_enough_holds_were_made() -> None:
    assert odds(holds_made=MIN_OBSERVED - 1).of(5) is None
    assert odds(holds_made=MIN_OBSERVED).of(5) is not None


def test_stale_holds_paid_late_under_load_are_not_all_coming_back() -> None:
    """On a loaded machine a paying fan's checkout can come after half the hold's life. The
    ledger counts the holds paid that late and those that expired: stale holds come back at
    that share. And however few orders the ledger has seen, no more stale holds come back
    than a plausible share of lapses: with checkouts 40 s late, every paying hold is stale."""
    inv = {"A:available": "0", "A:held": "100", "A:sold": "100"}
    o = from_figures(inv, ["40", "10", "30", "10"], admitted=100, active=50, holding=50,
                     paying=40, with_seats=90, stale=10)  # fmt: skip
    assert 0.3 <= o.stale_lapse <= 0.35  # (10 expired + a prior of 1 as 5) of 45
    held = {"A:available": "0", "A:held": "100", "A:sold": "0"}
    before = from_figures(held, ["0", "5"], admitted=55, active=50, holding=50, paying=0,
                          with_seats=50, stale=45)  # fmt: skip
    # At most 20 % of the 50 holds whose fate shows lapse: 5 released, 5 of the 45 stale.
    assert abs(before.stale_lapse - 5 / 45) < 1e-9
    assert (before.of(3) or 0) >= 0.5
    assert (before.of(10) or 1) <= 0.2
