"""The reports of one event, from the record (Postgres) and the room's own sequence.

Every figure but `joined` comes from Postgres: the outbox (admissions), the holds ledger,
the PaymentIntent journal, orders, payments and refunds as Stripe confirmed them, the
check-in state. `joined` is the waiting room's arrival sequence (a Redis hash field that
never expires, kept as long as the event's room): the only record of a join.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.csvsafe import safe_cell
from app.money import repo as money_repo
from app.reports import repo
from app.reports.schemas import (
    CheckinPoint,
    Funnel,
    FunnelStep,
    Occupancy,
    Revenue,
    RevenueSection,
    RevenueTotals,
    Sales,
    SalesBucket,
    SalesTotals,
    SectionOccupancy,
)

# Sales are shown per minute for the first day of the onsale (or until offsale), per day after.
MINUTE_WINDOW = dt.timedelta(days=1)


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


async def funnel(pool: asyncpg.Pool, redis: Redis, event_id: str) -> Funnel:
    counts = await repo.funnel_counts(pool, event_id)
    seq: str | None = await redis.hget(keys.queue_state(event_id), "seq")  # type: ignore[misc]
    joined = int(seq or 0)
    figures = [
        ("joined", joined, "waiting room arrival sequence"),
        ("admitted", counts["admitted"], "outbox: your_turn"),
        ("held", counts["held"], "holds ledger"),
        ("checkout", counts["checkout"], "payment intents"),
        ("paid", counts["paid"], "orders"),
        ("checked_in", counts["checked_in"], "check-in state"),
    ]
    steps: list[FunnelStep] = []
    previous: int | None = None
    for step, fans, source in figures:
        # Nothing to drop from when the step before had nobody (or this is the first step).
        drop = round(1 - fans / previous, 4) if previous else None
        steps.append(FunnelStep(step=step, fans=int(fans), drop_off=drop, source=source))
        previous = int(fans)
    return Funnel(event_id=event_id, steps=steps)


async def sales(pool: asyncpg.Pool, event: Any) -> Sales:
    until = min(event.offsale_at, event.onsale_at + MINUTE_WINDOW)
    rows = await repo.sales_buckets(pool, event.event_id, until)
    buckets = [
        SalesBucket(
            start=_iso(r["bucket"]),
            width=r["width"],
            tickets=r["tickets"],
            refunded_tickets=r["refunded_tickets"],
            gross_cents=r["gross_cents"],
            refunded_cents=r["refunded_cents"],
            net_cents=r["gross_cents"] - r["refunded_cents"],
        )
        for r in rows
    ]
    stripe = await repo.captured_totals(pool, event.event_id)
    gross = sum(b.gross_cents for b in buckets)
    refunded = sum(b.refunded_cents for b in buckets)
    net = gross - refunded
    expected = stripe["captured_cents"] + stripe["uncaptured_cents"] - stripe["refunded_cents"]
    totals = SalesTotals(
        tickets=sum(b.tickets for b in buckets),
        refunded_tickets=sum(b.refunded_tickets for b in buckets),
        gross_cents=gross,
        refunded_cents=refunded,
        net_cents=net,
        captured_cents=stripe["captured_cents"],
        uncaptured_cents=stripe["uncaptured_cents"],
        stripe_refunded_cents=stripe["refunded_cents"],
        difference_cents=net - expected,
        reconciled=net == expected,
    )
    return Sales(
        event_id=event.event_id, currency=str(event.currency), buckets=buckets, totals=totals
    )


async def revenue(pool: asyncpg.Pool, event: Any) -> Revenue:
    """Tickets, fees and tax as charged, refunds as Stripe made them, per section; the
    totals checked against what Stripe captured minus what it refunded."""
    sections = [
        RevenueSection(
            section=r["section"],
            orders=r["orders"],
            tickets=r["tickets"],
            tickets_cents=r["tickets_cents"],
            fees_cents=r["fees_cents"],
            tax_cents=r["tax_cents"],
            gross_cents=r["gross_cents"],
            refunded_cents=r["refunded_cents"],
            net_cents=r["gross_cents"] - r["refunded_cents"],
        )
        for r in await money_repo.revenue_by_section(pool, event.event_id)
    ]
    stripe = await repo.captured_totals(pool, event.event_id)

    def total(field: str) -> int:
        return sum(int(getattr(s, field)) for s in sections)

    net = total("net_cents")
    expected = stripe["captured_cents"] + stripe["uncaptured_cents"] - stripe["refunded_cents"]
    totals = RevenueTotals(
        orders=total("orders"),
        tickets=total("tickets"),
        tickets_cents=total("tickets_cents"),
        fees_cents=total("fees_cents"),
        tax_cents=total("tax_cents"),
        gross_cents=total("gross_cents"),
        refunded_cents=total("refunded_cents"),
        net_cents=net,
        captured_cents=stripe["captured_cents"],
        uncaptured_cents=stripe["uncaptured_cents"],
        stripe_refunded_cents=stripe["refunded_cents"],
        difference_cents=net - expected,
        reconciled=net == expected,
    )
    return Revenue(
        event_id=event.event_id, currency=str(event.currency), sections=sections, totals=totals
    )


async def occupancy(pool: asyncpg.Pool, event_id: str) -> Occupancy:
    sections = [
        SectionOccupancy(
            section=r["code"],
            name=r["name"],
            capacity=r["capacity"],
            sold=r["sold"],
            checked_in=r["checked_in"],
            sold_share=round(r["sold"] / r["capacity"], 4) if r["capacity"] else 0.0,
            checked_in_share=round(r["checked_in"] / r["sold"], 4) if r["sold"] else 0.0,
        )
        for r in await repo.occupancy(pool, event_id)
    ]
    points: list[CheckinPoint] = []
    total = 0
    for r in await repo.checkin_curve(pool, event_id):
        total += r["admitted"]
        points.append(
            CheckinPoint(minute=_iso(r["minute"]), admitted=r["admitted"], cumulative=total)
        )
    return Occupancy(event_id=event_id, sections=sections, checkins=points)


def to_csv(rows: Sequence[msgspec.Struct]) -> str:
    """Structs as CSV (header from the first's fields); every cell spreadsheet-safe."""
    out = io.StringIO()
    if not rows:
        return ""
    fields = list(type(rows[0]).__struct_fields__)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([safe_cell(getattr(row, f)) for f in fields])
    return out.getvalue()


def report_csv(report: Funnel | Sales | Occupancy | Revenue) -> str:
    """The report's main table as CSV: funnel steps, sales buckets, or sections (the revenue
    report's with a last row of totals)."""
    if isinstance(report, Funnel):
        return to_csv(report.steps)
    if isinstance(report, Sales):
        return to_csv(report.buckets)
    if isinstance(report, Revenue):
        t = report.totals
        rows = [
            *report.sections,
            RevenueSection(
                section="TOTAL",
                orders=t.orders,
                tickets=t.tickets,
                tickets_cents=t.tickets_cents,
                fees_cents=t.fees_cents,
                tax_cents=t.tax_cents,
                gross_cents=t.gross_cents,
                refunded_cents=t.refunded_cents,
                net_cents=t.net_cents,
            ),
        ]
        return to_csv(rows)
    return to_csv(report.sections)
