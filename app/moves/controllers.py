"""HTTP endpoints of a ticket's moves: cancel, transfer and accept, resale, the rules."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, Response, delete, get, post, put
from litestar.openapi.datastructures import ResponseSpec

from app.audit import service as audit
from app.core.clientip import client_ip
from app.core.errors import not_found
from app.core.resources import Resources
from app.core.security import Principal
from app.core.settings import Settings
from app.events import service as events_service
from app.moves import repo, resale, service, tickets
from app.moves.schemas import (
    Accepted,
    ListingOut,
    MoveEntry,
    MoveList,
    MoveRules,
    MyTickets,
    TransferIn,
    TransferOut,
)
from app.orders.schemas import Order


@post(
    "/api/v1/orders/{order_id:uuid}/cancel",
    operation_id="cancelMyOrder",
    tags=["moves"],
    status_code=200,
    responses={202: ResponseSpec(data_container=Order, description="Refund left to the worker")},
    description=(
        "The buyer cancels within the event's rule: refunded to the card, tickets void, seats "
        "back on sale (waiting list first). 202 when Stripe did not answer: a worker finishes."
    ),
)
async def cancel_order(
    order_id: UUID, request: Request[Any, Any, Any], principal: Principal, resources: Resources
) -> Response[Order]:
    order, refunded = await service.cancel_order(resources, principal, str(order_id))
    await audit.record(
        resources.pool,
        principal,
        "order.cancel",
        target_type="order",
        target_id=order.order_id,
        event_id=order.event_id,
        client_ip=client_ip(request),
        detail={"amount_cents": order.amount_cents},
    )
    return Response(order, status_code=200 if refunded else 202)


@post(
    "/api/v1/tickets/{ticket_id:uuid}/transfer",
    operation_id="transferTicket",
    tags=["moves"],
    status_code=201,
)
async def transfer_ticket(
    ticket_id: UUID,
    data: TransferIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    resources: Resources,
) -> TransferOut:
    out = await service.offer_transfer(resources, principal, str(ticket_id), data.email)
    await audit.record(
        resources.pool,
        principal,
        "ticket.transfer",
        target_type="ticket",
        target_id=str(ticket_id),
        client_ip=client_ip(request),
        event_id=out.event_id,
        detail={"transfer_id": out.transfer_id, "to": data.email},
    )
    return out


@post(
    "/api/v1/transfers/{transfer_id:uuid}/accept",
    operation_id="acceptTransfer",
    tags=["moves"],
    status_code=200,
)
async def accept_transfer(
    transfer_id: UUID, request: Request[Any, Any, Any], principal: Principal, resources: Resources
) -> Accepted:
    out = await service.accept_transfer(resources, principal, str(transfer_id))
    await audit.record(
        resources.pool,
        principal,
        "ticket.transfer_accept",
        target_type="ticket",
        target_id=out.ticket_id,
        event_id=out.event_id,
        client_ip=client_ip(request),
        detail={"transfer_id": str(transfer_id)},
    )
    return out


@delete(
    "/api/v1/transfers/{transfer_id:uuid}",
    operation_id="cancelTransfer",
    tags=["moves"],
    description="The sender takes an open transfer back, or the receiver declines it.",
)
async def cancel_transfer(
    transfer_id: UUID, request: Request[Any, Any, Any], principal: Principal, resources: Resources
) -> None:
    transfer = await service.cancel_transfer(resources, principal, str(transfer_id))
    await audit.record(
        resources.pool,
        principal,
        "ticket.transfer_cancel",
        target_type="ticket",
        target_id=str(transfer["ticket_id"]),
        event_id=str(transfer["event_id"]),
        client_ip=client_ip(request),
        detail={"transfer_id": str(transfer_id)},
    )


@post(
    "/api/v1/tickets/{ticket_id:uuid}/resale",
    operation_id="listTicketForResale",
    tags=["moves"],
    status_code=201,
)
async def list_for_resale(
    ticket_id: UUID, request: Request[Any, Any, Any], principal: Principal, resources: Resources
) -> ListingOut:
    out = await resale.list_ticket(resources, principal, str(ticket_id))
    await audit.record(
        resources.pool,
        principal,
        "ticket.resale_list",
        target_type="ticket",
        target_id=str(ticket_id),
        client_ip=client_ip(request),
        event_id=out.event_id,
        detail={"listing_id": out.listing_id, "price_cents": out.price_cents},
    )
    return out


@delete("/api/v1/resale/{listing_id:uuid}", operation_id="withdrawResale", tags=["moves"])
async def withdraw_resale(
    listing_id: UUID, request: Request[Any, Any, Any], principal: Principal, resources: Resources
) -> None:
    event_id = await resale.withdraw(resources, principal, str(listing_id))
    if event_id is not None:
        await audit.record(
            resources.pool,
            principal,
            "ticket.resale_withdraw",
            target_type="listing",
            target_id=str(listing_id),
            event_id=event_id,
            client_ip=client_ip(request),
            detail={},
        )


@get("/api/v1/resale/{listing_id:uuid}", operation_id="getResaleListing", tags=["moves"])
async def get_listing(listing_id: UUID, principal: Principal, pool: asyncpg.Pool) -> ListingOut:
    row = await repo.listing_by_id(pool, str(listing_id))
    if row is None or str(row["seller_id"]) != principal.user_id:
        raise not_found("Listing")
    return resale.listing_out(row)


@get("/api/v1/me/tickets", operation_id="listMyTickets", tags=["moves"])
async def my_tickets(
    principal: Principal, pool: asyncpg.Pool, settings: Settings
) -> Response[MyTickets]:
    """Every ticket the fan holds or held, each valid one with its live code's TOTP secret
    (so never cached anywhere but the fan's own phone)."""
    found = await tickets.my_tickets(pool, settings, principal)
    return Response(found, headers={"Cache-Control": "private, no-store"})


@get(
    "/api/v1/events/{event_id:uuid}/move-rules",
    operation_id="getMoveRules",
    tags=["moves"],
)
async def get_move_rules(event_id: UUID, principal: Principal, pool: asyncpg.Pool) -> MoveRules:
    eid = await events_service.visible_event_id(pool, principal, event_id)
    return await repo.move_rules(pool, eid)


@put(
    "/api/v1/events/{event_id:uuid}/move-rules",
    operation_id="setMoveRules",
    tags=["moves"],
)
async def set_move_rules(
    event_id: UUID,
    data: MoveRules,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> MoveRules:
    event = await events_service.get_managed_event(pool, principal, str(event_id))
    rules = await repo.set_move_rules(pool, event.event_id, data)
    await audit.record_event(
        pool,
        principal,
        "event.move_rules",
        event.event_id,
        client_ip=client_ip(request),
        detail={
            "cancel": data.cancel_enabled,
            "transfer": data.transfer_enabled,
            "resale": data.resale_enabled,
        },
    )
    return rules


@get("/api/v1/events/{event_id:uuid}/moves", operation_id="listEventMoves", tags=["moves"])
async def event_moves(event_id: UUID, principal: Principal, pool: asyncpg.Pool) -> MoveList:
    """Transfers, resale listings and fans' cancellations of an event (the organizer's)."""
    event = await events_service.get_managed_event(pool, principal, str(event_id), need="read")
    return MoveList(
        items=[
            MoveEntry(
                kind=r["kind"],
                move_id=str(r["move_id"]),
                ticket_id=str(r["ticket_id"]) if r["ticket_id"] else None,
                state=r["state"],
                from_email=r["from_email"],
                to_email=r["to_email"],
                amount_cents=r["amount_cents"],
                created_at=r["created_at"],
                ended_at=r["ended_at"],
                payout_state=r["payout_state"],
            )
            for r in await repo.moves_of_event(pool, event.event_id)
        ]
    )


ROUTES = [
    cancel_order,
    transfer_ticket,
    accept_transfer,
    cancel_transfer,
    list_for_resale,
    withdraw_resale,
    get_listing,
    my_tickets,
    get_move_rules,
    set_move_rules,
    event_moves,
]
