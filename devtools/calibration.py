"""Calibration of the waiting room's `chance` in `onsale simulate`: shown versus got seats.

Every chance a fan is shown while waiting is one prediction; the outcome is
whether that fan got seats (a hold) in the end. Predictions are binned by
the chance shown; each bin's success rate should match it. The issue's
acceptance: fans shown >= 80 % get seats at least 80 % of the time, fans shown
<= 20 % at most 20 % of the time. Both every shown value and each fan's first
shown value are reported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import httpx
from rich.console import Console
from rich.table import Table

BINS = ((0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0))


async def pace_room(
    client: httpx.AsyncClient, event_id: str, headers: dict[str, str], admit_batch: int
) -> None:
    """Admit `admit_batch` fans a second: a queue long enough that waiting fans include winners.

    With the default pace every winner is admitted within the first seconds,
    before any hold was seen, so no waiting fan could be shown a high chance.
    """
    r = await client.get(f"/api/v1/events/{event_id}", headers=headers)
    r.raise_for_status()
    room = {k: v for k, v in r.json()["waiting_room"].items() if v is not None}
    room["admit_batch_size"] = admit_batch
    r = await client.patch(
        f"/api/v1/events/{event_id}", json={"waiting_room": room}, headers=headers
    )
    r.raise_for_status()


def bin_label(lo: float, hi: float) -> str:
    if lo == 0.0:
        return f"≤ {hi:.0%}"
    if hi == 1.0:
        return f"≥ {lo:.0%}"
    return f"{lo:.0%}–{hi:.0%}"


def bin_of(chance: float) -> tuple[float, float]:
    if chance <= 0.2:
        return BINS[0]
    if chance >= 0.8:
        return BINS[-1]
    for lo, hi in BINS[1:-1]:
        if lo < chance <= hi or (hi == 0.8 and chance < 0.8):
            return lo, hi
    return BINS[-1]


@dataclass
class Row:
    label: str
    shown: int
    fans: int
    mean_shown: float
    got: float | None


@dataclass
class Calibration:
    shown: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    got: set[str] = field(default_factory=set)

    def saw(self, fan: str, chance: object) -> None:
        if isinstance(chance, int | float):
            self.shown[fan].append(float(chance))

    def succeeded(self, fan: str) -> None:
        self.got.add(fan)

    def rows(self, *, first_only: bool) -> list[Row]:
        buckets: dict[tuple[float, float], list[tuple[str, float]]] = defaultdict(list)
        for fan, values in self.shown.items():
            for value in values[:1] if first_only else values:
                buckets[bin_of(value)].append((fan, value))
        out = []
        for lo, hi in BINS:
            items = buckets.get((lo, hi), [])
            fans = {f for f, _ in items}
            out.append(
                Row(
                    bin_label(lo, hi),
                    len(items),
                    len(fans),
                    sum(v for _, v in items) / len(items) if items else 0.0,
                    sum(1 for f, _ in items if f in self.got) / len(items) if items else None,
                )
            )
        return out

    def checks(self) -> dict[str, tuple[bool, str]]:
        rows = self.rows(first_only=False)
        low, high = rows[0], rows[-1]
        return {
            "chance ≥ 80 % → seats ≥ 80 %": (
                high.got is None or high.got >= 0.8,
                "no fan shown ≥ 80 %" if high.got is None else f"{high.got:.1%} of {high.shown}",
            ),
            "chance ≤ 20 % → seats ≤ 20 %": (
                low.got is None or low.got <= 0.2,
                "no fan shown ≤ 20 %" if low.got is None else f"{low.got:.1%} of {low.shown}",
            ),
        }

    def table(self) -> Table:
        table = Table(title="Chance of success: calibration (shown while waiting vs got seats)")
        for col in (
            "chance shown",
            "shown (all)",
            "fans",
            "mean shown",
            "got seats (all)",
            "shown (first)",
            "got seats (first)",
        ):
            table.add_column(col, justify="left" if col == "chance shown" else "right")
        for every, first in zip(
            self.rows(first_only=False), self.rows(first_only=True), strict=True
        ):
            table.add_row(
                every.label,
                str(every.shown),
                str(every.fans),
                f"{every.mean_shown:.0%}" if every.shown else "-",
                f"{every.got:.0%}" if every.got is not None else "-",
                str(first.shown),
                f"{first.got:.0%}" if first.got is not None else "-",
            )
        return table

    def markdown(self) -> str:
        lines = [
            "| chance shown | shown (all) | fans | mean shown | got seats (all) "
            "| shown (first) | got seats (first) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for every, first in zip(
            self.rows(first_only=False), self.rows(first_only=True), strict=True
        ):
            lines.append(
                f"| {every.label} | {every.shown} | {every.fans} | "
                + (f"{every.mean_shown:.0%}" if every.shown else "-")
                + " | "
                + (f"{every.got:.0%}" if every.got is not None else "-")
                + f" | {first.shown} | "
                + (f"{first.got:.0%}" if first.got is not None else "-")
                + " |"
            )
        return "\n".join(lines)

    def print(self, console: Console) -> None:
        console.print(self.table())
        console.print(self.markdown(), markup=False, highlight=False)
