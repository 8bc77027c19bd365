"""HTTP endpoints of orders: a fan's orders, the organizer export and refunds."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import asyncpg
from litestar import Request, Response, get, post
from litestar.response import Stream

from app.audit import service as audit
from app.core.clientip import audit_origin
from app.core.resources import Resources
from app.core.security import Principal
from app.core.settings import Settings
from app.events.service import get_managed_event
from app.orders import service
from app.orders.schemas import Order, OrderList, RefundIn


@get("/api/v1/orders", operation_id="listMyOrders", tags=["orders"])
async def list_orders(principal: Principal, pool: asyncpg.Pool, settings: Settings) -> OrderList:
    return OrderList(items=await service.list_mine(pool, settings, principal))


@get("/api/v1/orders/{order_id:uuid}", operation_id="getOrder", tags=["orders"])
async def get_order(order_id: UUID, principal: Principal, resources: Resources) -> Order:
    return await service.get_order(resources, principal, str(order_id))


@post(
    "/api/v1/orders/{order_id:uuid}/payment-confirmed",
    operation_id="reportPaymentConfirmed",
    tags=["orders"],
    status_code=200,
    description=(
        "The fan's app confirmed the PaymentIntent with client_secret: the server re-reads it "
        "from Stripe and, if authorized, confirms the order now (no webhook needed)."
    ),
)
async def report_payment_confirmed(
    order_id: UUID, principal: Principal, resources: Resources
) -> Order:
    return await service.get_order(resources, principal, str(order_id), reported=True)


@get(
    "/api/v1/events/{event_id:uuid}/orders",
    operation_id="exportEventOrders",
    tags=["orders"],
    description="Every order of the event, streamed: JSON `{items: [...]}` or CSV.",
)
async def export_orders(
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    format: Literal["json", "csv"] = "json",  # the API's query name
) -> Stream:
    event = await get_managed_event(pool, principal, str(event_id), need="read")
    await audit.record_event(
        pool,
        principal,
        "event.export_orders",
        event.event_id,
        client_ip=audit_origin(request),
        detail={"format": format},
    )
    if format == "csv":
        return Stream(
            service.export_csv(pool, str(event_id)),
            media_type="text/csv",  # Litestar adds "; charset=utf-8" to text/* types
            headers={"Content-Disposition": f'attachment; filename="orders-{event_id}.csv"'},
        )
    return Stream(service.export_json(pool, str(event_id)), media_type="application/json")


@post(
    "/api/v1/orders/{order_id:uuid}/refund",
    operation_id="refundOrder",
    tags=["orders"],
    status_code=202,
)
async def refund_order(
    order_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    resources: Resources,
    data: RefundIn | None = None,
) -> Response[Order]:
    body = data or RefundIn()
    order = await service.request_refund(resources, principal, str(order_id), body)
    await audit.record(
        resources.pool,
        principal,
        "order.refund",
        target_type="order",
        target_id=order.order_id,
        event_id=order.event_id,
        client_ip=audit_origin(request),
        detail={"reason": body.reason or "", "amount_cents": order.amount_cents},
    )
    return Response(order, status_code=202)


ROUTES = [list_orders, get_order, report_payment_confirmed, export_orders, refund_order]
