"""HTTP: an event's reports as JSON or CSV, for its organizer or an admin."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import asyncpg
from litestar import Response, get
from redis.asyncio import Redis

from app.core.security import Principal
from app.events.service import get_managed_event
from app.reports import service
from app.reports.schemas import Funnel, Occupancy, Revenue, Sales

Format = Literal["json", "csv"]


def _answer(
    report: Funnel | Sales | Occupancy | Revenue, format: Format, name: str, event_id: UUID
) -> Response[Funnel | Sales | Occupancy | Revenue | str]:
    if format == "csv":
        return Response(
            service.report_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}-{event_id}.csv"'},
        )
    return Response(report)


@get(
    "/api/v1/events/{event_id:uuid}/reports/funnel",
    operation_id="getFunnelReport",
    tags=["reports"],
    description="Fans at each step (joined, admitted, held, checkout, paid, checked in) with "
    "the drop-off from the step before; JSON or CSV.",
)
async def funnel_report(
    event_id: UUID,
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
    format: Format = "json",  # the API's query name
) -> Response[Funnel | Sales | Occupancy | Revenue | str]:
    event = await get_managed_event(pool, principal, str(event_id), need="read")
    report = await service.funnel(pool, redis, event.event_id)
    return _answer(report, format, "funnel", event_id)


@get(
    "/api/v1/events/{event_id:uuid}/reports/sales",
    operation_id="getSalesReport",
    tags=["reports"],
    description="Tickets and revenue per minute during the onsale and per day after, net of "
    "refunds, with totals reconciled against the amounts Stripe captured; JSON or CSV.",
)
async def sales_report(
    event_id: UUID,
    principal: Principal,
    pool: asyncpg.Pool,
    format: Format = "json",  # the API's query name
) -> Response[Funnel | Sales | Occupancy | Revenue | str]:
    event = await get_managed_event(pool, principal, str(event_id), need="read")
    report = await service.sales(pool, event)
    return _answer(report, format, "sales", event_id)


@get(
    "/api/v1/events/{event_id:uuid}/reports/occupancy",
    operation_id="getOccupancyReport",
    tags=["reports"],
    description="Per section: capacity, sold and checked in; and tickets admitted per "
    "minute at the door; JSON or CSV.",
)
async def occupancy_report(
    event_id: UUID,
    principal: Principal,
    pool: asyncpg.Pool,
    format: Format = "json",  # the API's query name
) -> Response[Funnel | Sales | Occupancy | Revenue | str]:
    event = await get_managed_event(pool, principal, str(event_id), need="read")
    report = await service.occupancy(pool, event.event_id)
    return _answer(report, format, "occupancy", event_id)


@get(
    "/api/v1/events/{event_id:uuid}/reports/revenue",
    operation_id="getRevenueReport",
    tags=["reports"],
    description="Per section: orders, tickets, booking fees and tax as charged, refunds and "
    "net; the totals reconciled against Stripe's captured amounts minus refunds; JSON or CSV "
    "(a last TOTAL row).",
)
async def revenue_report(
    event_id: UUID,
    principal: Principal,
    pool: asyncpg.Pool,
    format: Format = "json",  # the API's query name
) -> Response[Funnel | Sales | Occupancy | Revenue | str]:
    event = await get_managed_event(pool, principal, str(event_id), need="read")
    report = await service.revenue(pool, event)
    return _answer(report, format, "revenue", event_id)


ROUTES = [funnel_report, sales_report, occupancy_report, revenue_report]
