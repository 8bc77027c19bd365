"""Cancel and transfer: a fan's own order refunded within the rules, a ticket handed on.

Every move locks its order's row first (the order is the moves' mutex: a cancel,
a transfer and a listing of the same order never interleave), checks the
ticket under that lock, then writes one transaction. A transfer's accept moves
the seat between the two accounts' per-user counts in Redis (transfer_seat.lua,
which refuses a receiver over the event's per-person limit) inside that
transaction, before the new ticket row is written and the old one voided.
"""

from __future__ import annotations

import logging

import asyncpg

from app.core.clock import utcnow
from app.core.errors import AppError, invalid, not_found
from app.core.i18n import N_
from app.core.ids import is_uuid, new_id
from app.core.metrics import TICKET_MOVES
from app.core.resources import Resources
from app.core.security import Principal
from app.events import service as events
from app.events.model import EventRecord
from app.holds.moves import Transferred, move_scripts
from app.money.service import refund_due
from app.moves import repo
from app.moves.rules import check_cancel, check_transfer, not_allowed
from app.moves.schemas import Accepted, TransferOut
from app.orders import refunds
from app.orders import repo as orders_repo
from app.orders import service as orders
from app.orders.schemas import Order
from app.payments.jobs import enqueue_refund
from app.tickets.keys import current_signer

log = logging.getLogger("onsale.moves")

FAN_CANCEL = "fan_cancel"
# The refund job queued behind a fan's cancel runs this much later (seconds).
REFUND_SAFETY_NET_S = 30.0


async def cancel_order(res: Resources, principal: Principal, order_id: str) -> tuple[Order, bool]:
    """The fan's own order refunded to the card, its tickets void, its seats back on sale
    (the waiting list's offers take them first). (order, refunded now); not refunded now:
    Stripe did not answer, the refund job retries it."""
    pool = res.pool
    row = await orders_repo.order_by_id(pool, order_id) if is_uuid(order_id) else None
    if row is None or str(row["user_id"]) != principal.user_id:
        raise not_found("Order")
    event = await events.load_event(pool, str(row["event_id"]))
    check_cancel(await repo.move_rules(pool, event.event_id), event, utcnow())
    async with pool.acquire() as conn, conn.transaction():
        order = await orders_repo.order_for_update(conn, order_id)
        assert order is not None
        if await orders_repo.refund_of_order(conn, order_id) is None:
            if order["status"] != "confirmed" or not order["payment_intent_id"]:
                raise not_allowed(N_("Only a paid order can be cancelled"))
            for ticket in await repo.tickets_of_order(conn, order_id):
                moved = ticket["voided_at"] is not None or str(ticket["holder_id"]) != str(
                    order["user_id"]
                )
                if moved or ticket["transfer_open"] or ticket["listed"]:
                    raise not_allowed(
                        N_("A ticket of this order was transferred, resold or is on offer")
                    )
            await orders_repo.insert_refund(
                conn,
                refund_id=new_id(),
                order_id=order_id,
                payment_intent_id=order["payment_intent_id"],
                amount_cents=await refund_due(conn, order_id, order["amount_cents"]),
                reason=FAN_CANCEL,
                return_seats=True,
            )
    # The job first (it runs later and finds the work done, or does it), then the refund now:
    # a cancel whose answer is lost, or whose Redis step fails, still ends refunded.
    await enqueue_refund(res.arq, order_id, defer_s=REFUND_SAFETY_NET_S)
    try:
        await refunds.refund_order(res, order_id)
    except Exception:  # Stripe or Redis away: the refund job retries until it is done
        log.exception("cancel of order %s: refund left to the worker", order_id)
    TICKET_MOVES.labels("cancel").inc()
    order_out = await orders.get_order(res, principal, order_id)
    return order_out, order_out.status == "refunded"


async def _ticket_of_holder(
    conn: asyncpg.Connection, principal: Principal, ticket_id: str
) -> asyncpg.Record:
    """The ticket, its order locked, if the caller holds it (anything else: 404)."""
    ticket = await repo.ticket_for_move(conn, ticket_id) if is_uuid(ticket_id) else None
    if ticket is None or str(ticket["holder_id"]) != principal.user_id:
        raise not_found("Ticket")
    await orders_repo.order_for_update(conn, str(ticket["order_id"]))
    ticket = await repo.ticket_for_move(conn, ticket_id)
    assert ticket is not None
    if str(ticket["holder_id"]) != principal.user_id:
        raise not_found("Ticket")
    return ticket


def _section_name(event: EventRecord, code: str) -> str:
    """The section as fans read it (its name), for messages."""
    section = event.section(code)
    return section.name if section is not None else code


def check_movable(ticket: asyncpg.Record) -> None:
    """A ticket that can move: valid, its order paid and not being refunded, no open move."""
    if ticket["voided_at"] is not None or ticket["order_status"] != "confirmed":
        raise not_allowed(N_("This ticket is no longer valid"))
    if ticket["refunding"]:
        raise not_allowed(N_("This ticket's order is being refunded"))
    if ticket["open_transfer_id"] is not None:
        raise not_allowed(N_("This ticket is already offered to someone"))
    if ticket["open_listing_id"] is not None:
        raise not_allowed(N_("This ticket is listed for resale"))


async def offer_transfer(
    res: Resources, principal: Principal, ticket_id: str, email: str
) -> TransferOut:
    """A pending transfer to the account of `email` (who may register later); it moves
    nothing until the receiver accepts. An account that exists is told by email."""
    pool = res.pool
    async with pool.acquire() as conn, conn.transaction():
        ticket = await _ticket_of_holder(conn, principal, ticket_id)
        event = await events.load_event(conn, str(ticket["event_id"]))
        rules = await repo.move_rules(conn, event.event_id)
        check_transfer(rules, event, utcnow())
        check_movable(ticket)
        if ticket["moves"] >= rules.transfer_max_per_ticket:
            raise AppError(
                "transfer_limit_reached",
                409,
                "Transfer limit reached",
                N_("This ticket was transferred {moves} times, the most this event allows"),
                params={"moves": ticket["moves"]},
            )
        if email.strip().lower() == (await repo.email_of(conn, principal.user_id)).lower():
            raise invalid("email", "this is your own account")
        receiver = await repo.receiver_by_email(conn, email.strip())
        transfer_id = new_id()
        await repo.insert_transfer(
            conn,
            transfer_id=transfer_id,
            ticket_id=str(ticket["ticket_id"]),
            event_id=event.event_id,
            from_user_id=principal.user_id,
            to_email=email.strip(),
            to_user_id=str(receiver["user_id"]) if receiver else None,
        )
        if receiver is not None:
            await orders_repo.insert_outbox(
                conn,
                "ticket_transfer_offered",
                f"ticket_transfer_offered:{transfer_id}",
                {
                    "transfer_id": transfer_id,
                    "event_id": event.event_id,
                    "user_id": str(receiver["user_id"]),
                    "section": _section_name(event, ticket["section_code"]),
                    "seq": ticket["seq"],
                },
            )
    TICKET_MOVES.labels("transfer").inc()
    return TransferOut(transfer_id=transfer_id, state="pending", event_id=event.event_id)


async def _transfer_for(
    conn: asyncpg.Connection, principal: Principal, transfer_id: str
) -> tuple[asyncpg.Record, str]:
    """The transfer offered to the caller's email (anything else: 404), and that email."""
    transfer = await repo.transfer_by_id(conn, transfer_id) if is_uuid(transfer_id) else None
    email = (await repo.email_of(conn, principal.user_id)).lower()
    if transfer is None or transfer["to_email"].lower() != email:
        raise not_found("Transfer")
    return transfer, email


async def accept_transfer(res: Resources, principal: Principal, transfer_id: str) -> Accepted:
    """The receiver takes the ticket: a new ticket (new id, new code) for them, the old one
    void, in one transaction; the per-person limit counts it for the receiver now."""
    pool = res.pool
    async with pool.acquire() as conn, conn.transaction():
        transfer, _ = await _transfer_for(conn, principal, transfer_id)
        if transfer["state"] == "accepted" and transfer["new_ticket_id"] is not None:
            if str(transfer["to_user_id"]) != principal.user_id:
                raise not_found("Transfer")
            again = await repo.ticket_for_move(conn, str(transfer["new_ticket_id"]))
            assert again is not None
            return Accepted(
                ticket_id=str(again["ticket_id"]),
                code=again["code"],
                event_id=str(again["event_id"]),
            )
        if transfer["state"] != "pending":
            raise not_allowed(N_("This transfer was cancelled"))
        if str(transfer["from_user_id"]) == principal.user_id:
            raise not_allowed(N_("This ticket is already yours"))
        event = await events.load_event(conn, str(transfer["event_id"]))
        check_transfer(await repo.move_rules(conn, event.event_id), event, utcnow())
        ticket = await repo.ticket_for_move(conn, str(transfer["ticket_id"]))
        assert ticket is not None
        await orders_repo.order_for_update(conn, str(ticket["order_id"]))
        transfer = await repo.transfer_by_id(conn, transfer_id, lock=True)
        assert transfer is not None
        ticket = await repo.ticket_for_move(conn, str(transfer["ticket_id"]))
        assert ticket is not None
        if transfer["state"] != "pending":
            raise not_allowed(N_("This transfer was cancelled"))
        sender = str(transfer["from_user_id"])
        if (
            ticket["voided_at"] is not None
            or ticket["order_status"] != "confirmed"
            or ticket["refunding"]
            or str(ticket["holder_id"]) != sender
        ):
            raise not_allowed(N_("This ticket is no longer valid"))
        code, limit = await move_scripts(res.scripts).transfer(
            event.event_id, transfer_id, sender, principal.user_id
        )
        if code is Transferred.LIMIT_PER_USER:
            raise AppError(
                "limit_exceeded",
                409,
                "Limit exceeded",
                N_("At most {limit} tickets per account"),
                params={"limit": limit},
            )
        if code is Transferred.NO_EVENT:
            raise not_found("Event")
        new_ticket_id = new_id()
        key = await current_signer(res.pool, res.settings, event.event_id)
        new_code = key.sign(new_ticket_id, ticket["section_code"], ticket["seq"], ticket["seat_id"])
        # The old code dies before the new one exists (one ticket, one valid code).
        await repo.void_ticket(conn, str(ticket["ticket_id"]), "transferred")
        await repo.insert_successor(
            conn,
            new_ticket_id=new_ticket_id,
            code=new_code,
            kid=key.kid,
            holder_id=principal.user_id,
            old_ticket_id=str(ticket["ticket_id"]),
        )
        await repo.accept_transfer(conn, transfer_id, principal.user_id, new_ticket_id)
        payload = {
            "transfer_id": transfer_id,
            "event_id": event.event_id,
            "section": _section_name(event, ticket["section_code"]),
            "seq": ticket["seq"],
        }
        await orders_repo.insert_outbox(
            conn,
            "ticket_transfer_accepted",
            f"ticket_transfer_accepted:{transfer_id}",
            {**payload, "user_id": sender},
        )
        await orders_repo.insert_outbox(
            conn,
            "ticket_received",
            f"ticket_received:{transfer_id}",
            {**payload, "user_id": principal.user_id, "ticket_id": new_ticket_id},
        )
    TICKET_MOVES.labels("accept").inc()
    return Accepted(ticket_id=new_ticket_id, code=new_code, event_id=event.event_id)


async def cancel_transfer(res: Resources, principal: Principal, transfer_id: str) -> asyncpg.Record:
    """The sender takes an open transfer back, or the receiver declines it."""
    async with res.pool.acquire() as conn, conn.transaction():
        transfer = await repo.transfer_by_id(conn, transfer_id) if is_uuid(transfer_id) else None
        if transfer is None:
            raise not_found("Transfer")
        if str(transfer["from_user_id"]) != principal.user_id:
            transfer, _ = await _transfer_for(conn, principal, transfer_id)
        if transfer["state"] == "accepted":
            raise not_allowed(N_("This transfer was accepted already"))
        await repo.cancel_transfer(conn, transfer_id)
    return transfer
