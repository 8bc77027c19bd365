"""Staleness of the console's live view as `onsale simulate` measures it, against the record."""

from __future__ import annotations

from devtools.liveview import Sample, stale_by, staleness


def test_stale_by_the_oldest_confirmation_not_shown() -> None:
    confirmed = [10.0, 11.0, 12.5]  # the record grew at these times...
    steps = [1, 2, 3]  # ...to these figures
    assert stale_by(3, confirmed, steps, now=20.0) == 0.0  # everything shown
    assert stale_by(1, confirmed, steps, now=14.0) == 3.0  # the 2nd order, confirmed at 11
    assert stale_by(0, confirmed, steps, now=10.5) == 0.5
    # A confirmation after the answer arrived is not missing from it.
    assert stale_by(2, confirmed, steps, now=12.0) == 0.0
    assert stale_by(0, [], [], now=5.0) == 0.0


def test_seats_sold_step_by_each_order_quantity() -> None:
    record = [(12.0, 1), (10.0, 4)]  # (confirmed_at, seats), in any order
    samples = [
        Sample(answered=13.0, at=12.9, orders=2, sold=5),
        Sample(answered=13.0, at=9.0, orders=1, sold=4),
        Sample(answered=13.0, at=12.9, orders=0, sold=3),
        # Before the first confirmation and long after the last: not while selling.
        Sample(answered=9.0, at=9.0, orders=0, sold=0),
        Sample(answered=600.0, at=600.0, orders=2, sold=5),
    ]
    s = staleness(samples, record)
    assert s.orders == [0.0, 1.0, 3.0]
    assert s.sold == [0.0, 1.0, 3.0]
    assert [round(v, 6) for v in s.in_flight] == [0.1, 4.0, 0.1]
    f = s.figures()
    assert f["answers"] == 3
    # A view still behind after the last confirmation counts.
    late = staleness([Sample(answered=30.0, at=30.0, orders=1, sold=4)], record)
    assert late.orders == [18.0]
    assert f["orders"]["p50_s"] == 1.0
    assert f["orders"]["max_s"] == 3.0
