"""Interleaved rounds (A B C, C B A, A B C …) and the spread of per-round ratios.

On a shared machine the load of the neighbours drifts by minutes, so one run
of A followed by one run of B compares two different machines. Running the
compared scenarios in alternating order, round after round, pairs each A with
a B measured seconds apart; the median of the per-round ratios, with its
min-max and interquartile range, is what the goals are judged on.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

import msgspec

from devtools.bench.wrk import WrkResult


class Spread(msgspec.Struct, frozen=True):
    """Median of some per-round values, with their min, max, quartiles and count."""

    median: float
    min: float
    max: float
    q1: float
    q3: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        if not values:
            return None
        ordered = sorted(values)
        if len(ordered) >= 2:
            q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
        else:
            q1 = q3 = ordered[0]
        return cls(
            median=round(statistics.median(ordered), 3),
            min=round(ordered[0], 3),
            max=round(ordered[-1], 3),
            q1=round(q1, 3),
            q3=round(q3, 3),
            n=len(ordered),
        )

    def text(self, digits: int = 2) -> str:
        """'0.52 (0.47-0.55, IQR 0.50-0.53, n=5)'."""
        f = f"{{:.{digits}f}}"
        return (
            f"{f.format(self.median)} ({f.format(self.min)}–{f.format(self.max)}, "
            f"IQR {f.format(self.q1)}–{f.format(self.q3)}, n={self.n})"
        )


def order_of_round(names: Sequence[str], round_no: int) -> list[str]:
    """Even rounds in the given order, odd rounds reversed: each neighbour pair stays adjacent
    and no scenario always runs first (right after the idle gap) or last."""
    return list(names) if round_no % 2 == 0 else list(reversed(names))


def run_rounds(
    runners: dict[str, Callable[[], WrkResult]],
    rounds: int,
    on_result: Callable[[int, str, WrkResult], None] = lambda *_: None,
) -> dict[str, list[WrkResult]]:
    """Every runner once per round, interleaved; results per runner in round order."""
    results: dict[str, list[WrkResult]] = {name: [] for name in runners}
    for round_no in range(rounds):
        for name in order_of_round(list(runners), round_no):
            result = runners[name]()
            results[name].append(result)
            on_result(round_no, name, result)
    return results


def paired(
    a: list[WrkResult], b: list[WrkResult], value: Callable[[WrkResult], float | None]
) -> list[float]:
    """value(a) / value(b) for each round where both are known and b is not zero."""
    out: list[float] = []
    for ra, rb in zip(a, b, strict=False):
        va, vb = value(ra), value(rb)
        if va is not None and vb:
            out.append(va / vb)
    return out


def own(a: list[WrkResult], value: Callable[[WrkResult], float | None]) -> list[float]:
    return [v for r in a if (v := value(r)) is not None]


def median_result(results: list[WrkResult]) -> WrkResult:
    """The round with the median req/s (for the per-scenario table and plots)."""
    ordered = sorted(results, key=lambda r: r.rps)
    return ordered[(len(ordered) - 1) // 2]
