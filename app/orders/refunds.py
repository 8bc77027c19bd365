"""The refund job: Stripe refund, then the record, then (optionally) the seats back on sale.

Idempotent end to end: Stripe's refund is looked up before one is created,
the Postgres transaction is guarded by the confirmed -> refunded transition,
and return_seats.lua remembers which orders it already returned.
"""

from __future__ import annotations

import logging

from app.core.metrics import PAYMENTS
from app.core.resources import Resources
from app.holds.scripts import hold_scripts
from app.orders import repo
from app.orders.tally import OrderTally
from app.payments import journal
from app.payments import repo as payments_repo
from app.payments.gateway import CANCELLABLE, gateway

log = logging.getLogger("onsale.refunds")


async def refund_order(res: Resources, order_id: str) -> str:
    refund = await repo.refund_of_order(res.pool, order_id)
    order = await repo.order_by_id(res.pool, order_id)
    if refund is None or order is None or not order["payment_intent_id"]:
        return "nothing"
    pi = order["payment_intent_id"]
    refunded = order["status"] == "refunded"
    if refund["status"] != "succeeded":
        gw = gateway(res.settings)
        intent = await gw.retrieve(pi)
        if intent.status in CANCELLABLE:
            await gw.cancel(pi)
            stripe_ref = f"cancel:{pi}"
        else:
            # Less than the whole amount when the organizer keeps the booking fees.
            partial = int(refund["amount_cents"]) < int(order["amount_cents"])
            stripe_ref = await gw.refund(
                pi, f"refund:{order_id}", int(refund["amount_cents"]) if partial else None
            )
        async with res.pool.acquire() as conn, conn.transaction():
            await repo.complete_refund(conn, order_id, stripe_ref)
            if await repo.mark_order_refunded(conn, order_id):
                # Listings of its tickets end (their seats are on sale already), offers too.
                await repo.close_moves_of_order(conn, order_id)
                refunded = True
                await repo.void_tickets(conn, order_id)
                await payments_repo.mark_payment_refunded(conn, pi)
                seats = await repo.seats_to_return(conn, order_id)
                if refund["return_seats"] and seats:
                    await repo.add_section_sold(
                        conn, str(order["event_id"]), order["section_code"], -seats
                    )
                    await repo.insert_ledger_entry(
                        conn,
                        event_id=str(order["event_id"]),
                        section=order["section_code"],
                        reason="refund",
                        ref=order_id,
                        delta_sold=-seats,
                        delta_held=0,
                    )
                await repo.insert_outbox(
                    conn,
                    "order_refunded",
                    f"order_refunded:{order_id}",
                    {"order_id": order_id, "user_id": str(order["user_id"])},
                )
        PAYMENTS.labels("refunded").inc()
        await journal.settle_payment_intent(res.pool, pi, "refunded")
    if refunded:
        # Now or by an earlier run of this job: the console's figures count it once.
        await res.scripts.view(OrderTally).refunded(
            str(order["event_id"]), order_id, int(order["amount_cents"])
        )
    if refund["return_seats"]:
        # The seats its tickets held when voided: a resold ticket's seat is its buyer's now,
        # a listed one went back on sale when listed; each holder's count drops by theirs.
        async with res.pool.acquire() as conn:
            seats = await repo.seats_to_return(conn, order_id)
            holders = await repo.refunded_holders(conn, order_id)
            seat_ids = await repo.refunded_seat_ids(conn, order_id)
            lines = await repo.refunded_type_lines(conn, order_id)
        await hold_scripts(res.scripts).return_seats(
            str(order["event_id"]),
            order_id=order_id,
            section=order["section_code"],
            quantity=seats,
            user_id=str(order["user_id"]),
            holders=holders,
            seats=seat_ids,
            lines=lines,
        )
    return "refunded"
