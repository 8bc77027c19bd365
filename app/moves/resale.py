"""Face-value resale: list a ticket, withdraw it until it sells, pay the seller when it does.

A listing puts its seat back on sale (list_resale.lua: sold -1, available +1;
Postgres `sections.sold` -1 in the same transaction), so the section's next
sale takes it: the waiting list's offer first, or the next fan in the room,
each paying the section's price through the normal checkout. When a buyer's
payment is captured, the finalize transaction takes the section's open
listings oldest first (app.orders.confirm): the seller's ticket is voided and
their refund (face value minus the organizer's fee) becomes due. A cron pays
due refunds; one that fails is retried with backoff and stays in the record
until Stripe confirms it: never lost. The seller keeps the ticket, and their
per-user count, until then; a withdrawal takes the seat back off sale if one
is free (withdraw_resale.lua), else a buyer is paying for it right now.

A reserved seat is resold as that seat: listing frees it on the seat map (the
fan who picks it, or whom best available gives it, buys it at the seat's
category price), the sale that converts a hold on it takes exactly its listing,
and a withdrawal sells it to the seller's hold again while it is still free.

Listing, withdrawing and a sale's matching all lock the section's row first,
so they happen one at a time per section and in the same lock order.
"""

from __future__ import annotations

import logging

import asyncpg

from app.core.clock import utcnow
from app.core.errors import AppError, not_found
from app.core.i18n import N_
from app.core.ids import is_uuid, new_id
from app.core.metrics import RESALE_PAYOUTS, TICKET_MOVES
from app.core.resources import Resources
from app.core.security import Principal
from app.events import service as events
from app.holds.moves import Listed, Withdrawn, move_scripts
from app.moves import repo
from app.moves.rules import check_resale, not_allowed
from app.moves.schemas import ListingOut, MySeat
from app.moves.service import _ticket_of_holder, check_movable
from app.orders import repo as orders_repo
from app.payments.gateway import gateway

log = logging.getLogger("onsale.resale")

# Payouts per cron run; a failed one waits min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2**attempts).
PAYOUT_BATCH = 50
BASE_BACKOFF_S = 5.0
MAX_BACKOFF_S = 3600.0


def face_value(order_amount_cents: int, order_quantity: int) -> int:
    """What one ticket of the order cost its buyer (never more: no resale above face value)."""
    return order_amount_cents // order_quantity


def resale_price(row: asyncpg.Record) -> int:
    """A ticket's resale price: its face value. A reserved seat's is its category's price
    (an order may mix categories), never more than its order paid in all."""
    if row["seat_price_cents"] is not None:
        return min(int(row["seat_price_cents"]), int(row["order_amount_cents"]))
    return face_value(row["order_amount_cents"], row["order_quantity"])


def seat_of(row: asyncpg.Record) -> MySeat | None:
    """The reserved seat of a ticket or listing row (None: general admission)."""
    if row["seat_id"] is None:
        return None
    return MySeat(row["seat_id"], row["seat_row"] or "", row["seat_number"] or "")


def listing_out(row: asyncpg.Record) -> ListingOut:
    return ListingOut(
        listing_id=str(row["listing_id"]),
        price_cents=row["price_cents"],
        currency=row["currency"],
        state=row["state"],
        payout_cents=row["price_cents"] - row["fee_cents"],
        event_id=str(row["event_id"]),
        seat=seat_of(row),
    )


async def list_ticket(res: Resources, principal: Principal, ticket_id: str) -> ListingOut:
    pool = res.pool
    async with pool.acquire() as conn, conn.transaction():
        ticket = await _ticket_of_holder(conn, principal, ticket_id)
        event = await events.load_event(conn, str(ticket["event_id"]))
        rules = await repo.move_rules(conn, event.event_id)
        check_resale(rules, event, utcnow())
        check_movable(ticket)
        if str(ticket["buyer_id"]) != principal.user_id or not ticket["payment_intent_id"]:
            # The refund goes back to the card that paid: only the buyer's own tickets.
            raise not_allowed(N_("Only tickets you bought yourself can be resold"))
        if ticket["ticket_type"] is not None:
            # A listing puts its seat back on the section's sale, which sells no type: the
            # type's own count would then drift from its tickets. Not offered yet.
            raise not_allowed(N_("Tickets of a ticket type cannot be resold yet"))
        section = str(ticket["section_code"])
        await repo.lock_section(conn, event.event_id, section)
        price = resale_price(ticket)
        fee = min(rules.resale_fee_cents, price)
        listing_id = new_id()
        await repo.insert_listing(
            conn,
            listing_id=listing_id,
            ticket=ticket,
            seller_id=principal.user_id,
            price_cents=price,
            fee_cents=fee,
        )
        await orders_repo.add_section_sold(conn, event.event_id, section, -1)
        await orders_repo.insert_ledger_entry(
            conn,
            event_id=event.event_id,
            section=section,
            reason="resale_listed",
            ref=listing_id,
            delta_sold=-1,
            delta_held=0,
        )
        # Last, under the section's lock: a failure here rolls the listing back.
        if (
            await move_scripts(res.scripts).list(
                event.event_id, listing_id, section, ticket["seat_id"] or ""
            )
            is Listed.DRIFT
        ):
            raise AppError(
                "inventory_drift",
                409,
                "Inventory being repaired",
                N_("The seats of this section are being checked; try again in a minute"),
            )
    TICKET_MOVES.labels("list").inc()
    return ListingOut(
        listing_id=listing_id,
        price_cents=price,
        currency=str(ticket["currency"]),
        state="listed",
        payout_cents=price - fee,
        event_id=event.event_id,
        seat=seat_of(ticket),
    )


async def withdraw(res: Resources, principal: Principal, listing_id: str) -> str | None:
    """Take an unsold listing back (204); its seat leaves the sale again. The event id when
    withdrawn now, None when it was before."""
    pool = res.pool
    listing = await repo.listing_by_id(pool, listing_id) if is_uuid(listing_id) else None
    if listing is None or str(listing["seller_id"]) != principal.user_id:
        raise not_found("Listing")
    event_id, section = str(listing["event_id"]), str(listing["section_code"])
    async with pool.acquire() as conn, conn.transaction():
        await repo.lock_section(conn, event_id, section)
        listing = await repo.listing_by_id(conn, listing_id, lock=True)
        assert listing is not None
        if listing["state"] == "sold":
            raise AppError(
                "listing_sold", 409, "Already sold", N_("This ticket was sold to another fan")
            )
        if listing["state"] != "listed":
            return None  # withdrawn before: the same outcome
        outcome = await move_scripts(res.scripts).withdraw(
            event_id,
            listing_id,
            section,
            listing["seat_id"] or "",
            str(listing["seller_hold_id"] or ""),
        )
        if outcome is Withdrawn.IN_CHECKOUT:
            raise AppError(
                "listing_in_checkout",
                409,
                "Being bought",
                N_("A fan is paying for this seat right now; try again in a few minutes"),
            )
        await repo.withdraw_listing(conn, listing_id)
        await orders_repo.add_section_sold(conn, event_id, section, 1)
        await orders_repo.insert_ledger_entry(
            conn,
            event_id=event_id,
            section=section,
            reason="resale_withdrawn",
            ref=listing_id,
            delta_sold=1,
            delta_held=0,
        )
    TICKET_MOVES.labels("withdraw").inc()
    return event_id


async def pay_sellers(res: Resources, limit: int = PAYOUT_BATCH) -> dict[str, int]:
    """Refund the sellers of sold listings that are due; counts of paid and failed."""
    done = {"paid": 0, "failed": 0}
    for row in await repo.payouts_due(res.pool, limit):
        listing_id = str(row["listing_id"])
        try:
            await move_scripts(res.scripts).settle(
                str(row["event_id"]), listing_id, str(row["seller_id"])
            )
            amount = int(row["price_cents"]) - int(row["fee_cents"])
            ref = "nothing"
            if amount > 0:
                ref = await gateway(res.settings).refund_part(
                    row["payment_intent_id"], amount, f"resale:{listing_id}"
                )
            await repo.payout_paid(res.pool, listing_id, ref)
            RESALE_PAYOUTS.labels("paid").inc()
            done["paid"] += 1
        except Exception as exc:  # Stripe, Redis or Postgres away: retried later
            attempts = int(row["payout_attempts"])
            wait = min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2**attempts)
            log.warning("resale payout %s failed (attempt %d): %s", listing_id, attempts + 1, exc)
            try:
                await repo.payout_failed(res.pool, listing_id, f"{type(exc).__name__}: {exc}", wait)
            except (OSError, asyncpg.PostgresError) as again:
                log.warning("resale payout %s: retry not recorded: %s", listing_id, again)
            RESALE_PAYOUTS.labels("failed").inc()
            done["failed"] += 1
    return done
