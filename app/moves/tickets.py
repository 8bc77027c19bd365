"""A fan's tickets as their holder sees them (bought or received), with what each may do."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from app.core.clock import utcnow
from app.core.security import Principal
from app.core.settings import Settings
from app.events import service as events
from app.events.model import EventRecord
from app.moves import repo
from app.moves.resale import resale_price
from app.moves.rules import cancel_open, resale_open, transfer_open
from app.moves.schemas import (
    IncomingTransfer,
    ListingState,
    Move,
    MoveRules,
    MySeat,
    MyTicket,
    MyTickets,
    OpenTransfer,
    TicketStatus,
)
from app.tickets import service as ticket_service


def status_of(row: asyncpg.Record) -> TicketStatus:
    if row["voided_at"] is not None:
        return "transferred" if row["void_reason"] == "transferred" else "void"
    if row["open_transfer_id"] is not None:
        return "pending_transfer"
    if row["listing_state"] == "listed":
        return "listed"
    return "valid"


def allowed(
    row: asyncpg.Record, user_id: str, rules: MoveRules, event: EventRecord, now: datetime
) -> list[Move]:
    if status_of(row) != "valid" or row["order_status"] != "confirmed":
        return []
    bought = str(row["buyer_id"]) == user_id
    moves: list[Move] = []
    # Cancel refunds the whole order: only while none of its tickets moved (checked again
    # on the order when asked).
    if bought and row["moves"] == 0 and cancel_open(rules, event, now):
        moves.append("cancel")
    if transfer_open(rules, event, now) and row["moves"] < rules.transfer_max_per_ticket:
        moves.append("transfer")
    if bought and resale_open(rules, event, now):
        moves.append("resale")
    return moves


async def my_tickets(pool: asyncpg.Pool, settings: Settings, principal: Principal) -> MyTickets:
    now = utcnow()
    rows = await repo.tickets_of_holder(pool, principal.user_id)
    context: dict[str, tuple[MoveRules, EventRecord]] = {}
    tickets: list[MyTicket] = []
    for row in rows:
        event_id = str(row["event_id"])
        if event_id not in context:
            context[event_id] = (
                await repo.move_rules(pool, event_id),
                await events.load_event(pool, event_id),
            )
        rules, event = context[event_id]
        status = status_of(row)
        tickets.append(
            MyTicket(
                ticket_id=str(row["ticket_id"]),
                order_id=str(row["order_id"]),
                event_id=event_id,
                event_name=row["event_name"],
                starts_at=row["starts_at"],
                venue=row["venue"],
                section=row["section_code"],
                section_name=row["section_name"],
                seq=row["seq"],
                timezone=row["timezone"],
                code=row["code"] if row["voided_at"] is None else "",
                # The live code's TOTP parameters, for a ticket that still gets in.
                rotation=await ticket_service.rotation_for(
                    pool, settings, event_id, row["kid"], row["code"]
                )
                if row["voided_at"] is None
                else None,
                status=status,
                void_reason=row["void_reason"],
                transfer=OpenTransfer(str(row["open_transfer_id"]), row["open_transfer_to"])
                if row["open_transfer_id"] is not None
                else None,
                listing=ListingState(str(row["listing_id"]), row["listing_state"])
                if row["listing_id"] is not None
                else None,
                allowed=allowed(row, principal.user_id, rules, event, now),
                bought=str(row["buyer_id"]) == principal.user_id,
                seat=MySeat(row["seat_id"], row["seat_row"], row["seat_number"])
                if row["seat_row"] is not None
                else None,
                face_value_cents=resale_price(row),
                attendee_name=row["attendee_name"],
                type_name=row["type_name"],
            )
        )
    email = await repo.email_of(pool, principal.user_id)
    incoming = [
        IncomingTransfer(
            transfer_id=str(r["transfer_id"]),
            event_id=str(r["event_id"]),
            event_name=r["event_name"],
            starts_at=r["starts_at"],
            venue=r["venue"],
            section=r["section_code"],
            seq=r["seq"],
            from_email=r["from_email"],
            section_name=r["section_name"],
            timezone=r["timezone"],
        )
        for r in await repo.transfers_to_email(pool, email)
    ]
    return MyTickets(tickets=tickets, incoming=incoming)
