"""HTTP: an event's fees and tax (organizer), a hold's price and an order's receipt (fan)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import asyncpg
from litestar import Response, get, put
from litestar.params import Parameter

from app.core.resources import Resources
from app.core.security import Principal
from app.money import service
from app.money.schemas import MoneyRulesIn, MoneyRulesOut, PriceOut


@get(
    "/api/v1/events/{event_id:uuid}/money",
    operation_id="getEventMoney",
    tags=["money"],
    description="The event's booking fees (per ticket, per order), tax rate (inclusive or "
    "exclusive) and refund rule (refund the fees or keep them).",
)
async def get_event_money(
    event_id: UUID, principal: Principal, pool: asyncpg.Pool
) -> MoneyRulesOut:
    return await service.get_rules(pool, principal, str(event_id))


@put(
    "/api/v1/events/{event_id:uuid}/money",
    operation_id="putEventMoney",
    tags=["money"],
    description="Set the event's fees, tax and refund rule. Orders already checked out keep "
    "what they were charged.",
)
async def put_event_money(
    event_id: UUID, principal: Principal, pool: asyncpg.Pool, data: MoneyRulesIn
) -> MoneyRulesOut:
    return await service.put_rules(pool, principal, str(event_id), data)


@get(
    "/api/v1/holds/{hold_id:str}/price",
    operation_id="getHoldPrice",
    tags=["checkout"],
    description="What the caller's hold costs with booking fees and tax: the amount checkout "
    "asks for, shown before paying.",
)
async def get_hold_price(hold_id: str, principal: Principal, resources: Resources) -> PriceOut:
    return await service.price_of_own_hold(resources, principal, hold_id)


@get(
    "/api/v1/orders/{order_id:uuid}/receipt",
    operation_id="getOrderReceipt",
    tags=["orders"],
    media_type="application/pdf",
    description="The receipt of a paid order as a PDF, in `lang` (en, de, es, fr), else the "
    "buyer's language. 409 order_not_paid before the payment went through.",
)
async def get_order_receipt(
    order_id: UUID,
    principal: Principal,
    pool: asyncpg.Pool,
    lang: str | None = None,
    accept_language: Annotated[str | None, Parameter(header="Accept-Language")] = None,
) -> Response[bytes]:
    pdf, locale = await service.receipt_pdf(pool, principal, str(order_id), lang, accept_language)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="receipt-{str(order_id)[:8]}.pdf"',
            "Content-Language": locale,
            "Cache-Control": "private, no-store",
        },
    )


ROUTES = [get_event_money, put_event_money, get_hold_price, get_order_receipt]
