"""Report bodies (msgspec)."""

from __future__ import annotations

import msgspec


class FunnelStep(msgspec.Struct, kw_only=True):
    step: str  # joined | admitted | held | checkout | paid | checked_in
    fans: int
    # Share of the previous step that did not reach this one (0..1); None for the first step
    # and after a step nobody reached.
    drop_off: float | None
    source: str  # where the figure comes from


class Funnel(msgspec.Struct, kw_only=True):
    event_id: str
    steps: list[FunnelStep]


class SalesBucket(msgspec.Struct, kw_only=True):
    start: str  # ISO 8601, UTC
    width: str  # minute | day
    tickets: int
    refunded_tickets: int
    gross_cents: int
    refunded_cents: int
    net_cents: int


class SalesTotals(msgspec.Struct, kw_only=True):
    tickets: int
    refunded_tickets: int
    gross_cents: int
    refunded_cents: int
    net_cents: int
    # Reconciliation against Stripe: what it captured (payments), what is authorized but not
    # yet captured, what it refunded; `difference_cents` = net - (captured + uncaptured -
    # refunded), zero when the record and Stripe agree.
    captured_cents: int
    uncaptured_cents: int
    stripe_refunded_cents: int
    difference_cents: int
    reconciled: bool


class Sales(msgspec.Struct, kw_only=True):
    event_id: str
    currency: str
    buckets: list[SalesBucket]
    totals: SalesTotals


class SectionOccupancy(msgspec.Struct, kw_only=True):
    section: str
    name: str
    capacity: int
    sold: int
    checked_in: int
    sold_share: float
    checked_in_share: float  # of the sold tickets


class CheckinPoint(msgspec.Struct, kw_only=True):
    minute: str
    admitted: int
    cumulative: int


class Occupancy(msgspec.Struct, kw_only=True):
    event_id: str
    sections: list[SectionOccupancy]
    checkins: list[CheckinPoint]


class RevenueSection(msgspec.Struct, kw_only=True):
    section: str
    orders: int
    tickets: int
    # As charged, tax included: tickets + fees = gross; tax is the part of gross that is tax.
    tickets_cents: int
    fees_cents: int
    tax_cents: int
    gross_cents: int
    refunded_cents: int
    net_cents: int  # gross - refunded: what the event keeps


class RevenueTotals(msgspec.Struct, kw_only=True):
    orders: int
    tickets: int
    tickets_cents: int
    fees_cents: int
    tax_cents: int
    gross_cents: int
    refunded_cents: int
    net_cents: int
    # Stripe's side (the payments it captured, the refunds it made): net_cents equals
    # captured - refunded when every paid order is captured.
    captured_cents: int
    uncaptured_cents: int
    stripe_refunded_cents: int
    difference_cents: int
    reconciled: bool


class Revenue(msgspec.Struct, kw_only=True):
    event_id: str
    currency: str
    sections: list[RevenueSection]
    totals: RevenueTotals
