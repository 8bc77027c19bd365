"""Finalize a payment: hold -> sold in Redis, order + tickets + payment in Postgres, capture.

Steps, each idempotent so a job retried after a crash between any two of them
has the effect once:

1. read the PaymentIntent back from Stripe (webhooks may arrive out of order);
2. convert the hold in Redis (convert_hold.lua; a retry sees "already");
   a late payment retakes seats if any are left, else the order is cancelled
   and the authorization voided (or the charge refunded);
3. one Postgres transaction: order confirmed, tickets, payment, sections.sold,
   inventory ledger, outbox message, holds ledger row (guarded by the order's
   pending -> confirmed transition under a row lock);
4. capture the PaymentIntent (a second capture is a no-op), mark it captured.
"""

from __future__ import annotations

import logging
import os
import signal
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from redis.asyncio import Redis

from app.checkout import holdops
from app.checkout.holdops import Convert, HoldRecord
from app.core.ids import from_epoch_ms, new_id, utcnow
from app.core.metrics import HOLDS, LATE_PAYMENTS, PAYMENTS
from app.core.scripts import Scripts
from app.core.settings import Settings
from app.orders import repo
from app.orders.tickets import TicketClaim, sign_ticket
from app.payments.gateway import AUTHORIZED, Intent, gateway

log = logging.getLogger("onsale.finalize")

# Fault-injection points of ONSALE_FAULT_INJECT (tests kill the worker there).
STEPS = ("after_stripe_read", "after_redis_convert", "after_pg_commit", "after_capture")

ORDER_NAMESPACE = uuid.UUID("5f0c3a52-8d4e-4f7b-9a57-0e5a1d2c9b11")


def order_id_for(hold_id: str) -> str:
    """One order per hold, whatever number of checkouts or jobs ran for it."""
    return str(uuid.uuid5(ORDER_NAMESPACE, hold_id))


@dataclass
class Deps:
    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    scripts: Scripts


@dataclass(frozen=True)
class Purchase:
    """What the PaymentIntent's metadata says was bought."""

    hold_id: str
    event_id: str
    order_id: str
    user_id: str
    section: str
    quantity: int
    amount_cents: int
    currency: str

    @classmethod
    def of(cls, intent: Intent) -> Purchase | None:
        md = intent.metadata
        try:
            return cls(
                hold_id=md["hold_id"],
                event_id=md["event_id"],
                order_id=md["order_id"],
                user_id=md["user_id"],
                section=md["section"],
                quantity=int(md["quantity"]),
                amount_cents=intent.amount,
                currency=intent.currency,
            )
        except (KeyError, ValueError):
            return None


def fault(settings: Settings, step: str) -> None:
    if settings.fault_inject == step:
        log.warning("fault injection: SIGKILL at %s", step)
        os.kill(os.getpid(), signal.SIGKILL)


async def finalize_payment(deps: Deps, payment_intent_id: str) -> str:
    """Settle one PaymentIntent; returns the outcome (for logs and tests)."""
    gw = gateway(deps.settings)
    intent = await gw.retrieve(payment_intent_id)
    purchase = Purchase.of(intent)
    if purchase is None:
        return "not_ours"
    fault(deps.settings, "after_stripe_read")
    if intent.status not in AUTHORIZED:
        # Undecided, processing or failed: the fan may still retry on the same
        # PaymentIntent; the checkout sweeper settles it at the deadline.
        # A cancelled one was cancelled by us: its pending order goes too.
        if intent.status == "canceled":
            await repo.cancel_order(
                deps.pool, purchase.order_id, "payment_canceled", payment_intent_id
            )
        await repo.mark_webhook_events_processed(deps.pool, payment_intent_id)
        return intent.status

    order = await repo.order_by_id(deps.pool, purchase.order_id)
    if order is not None and order["payment_intent_id"] not in (None, payment_intent_id):
        # A second PaymentIntent for a hold that already has one: give it back.
        await gw.void_or_refund(payment_intent_id, f"duplicate:{payment_intent_id}")
        PAYMENTS.labels("duplicate_voided").inc()
        return "duplicate_voided"
    status = order["status"] if order is not None else None
    if status == "refunded":
        return "refunded"  # the refund job owns it
    if status == "cancelled":
        await gw.void_or_refund(payment_intent_id, f"void:{payment_intent_id}")
        await repo.mark_webhook_events_processed(deps.pool, payment_intent_id)
        return "voided"

    if status != "confirmed":
        hold = await holdops.read_hold(deps.redis, purchase.event_id, purchase.hold_id)
        code = await holdops.convert_hold(
            deps.scripts,
            purchase.event_id,
            purchase.hold_id,
            payment_intent_id=payment_intent_id,
            order_id=purchase.order_id,
            user_id=purchase.user_id,
            section=purchase.section,
            quantity=purchase.quantity,
            now_ms=int(utcnow().timestamp() * 1000),
        )
        fault(deps.settings, "after_redis_convert")
        if code is Convert.OTHER_PAYMENT:
            await gw.void_or_refund(payment_intent_id, f"duplicate:{payment_intent_id}")
            PAYMENTS.labels("duplicate_voided").inc()
            return "duplicate_voided"
        if code is Convert.NO_SEATS:
            return await _late_without_seats(deps, purchase, payment_intent_id)
        if code is Convert.RETAKEN:
            LATE_PAYMENTS.labels("confirmed").inc()
        await _write_confirmed(
            deps, purchase, payment_intent_id, hold, late=code is Convert.RETAKEN
        )
        HOLDS.labels(outcome="converted").inc()
        fault(deps.settings, "after_pg_commit")

    if intent.status == "requires_capture":
        await gw.capture(payment_intent_id)
        PAYMENTS.labels("captured").inc()
        fault(deps.settings, "after_capture")
    await repo.mark_payment_captured(deps.pool, payment_intent_id)
    await repo.mark_webhook_events_processed(deps.pool, payment_intent_id)
    return "confirmed"


async def _late_without_seats(deps: Deps, purchase: Purchase, payment_intent_id: str) -> str:
    """Paid after the hold ended and the seats are gone: cancel the order, give the money back."""
    async with deps.pool.acquire() as conn, conn.transaction():
        await repo.insert_order(
            conn,
            order_id=purchase.order_id,
            event_id=purchase.event_id,
            user_id=purchase.user_id,
            hold_id=purchase.hold_id,
            section=purchase.section,
            quantity=purchase.quantity,
            amount_cents=purchase.amount_cents,
            currency=purchase.currency,
            payment_intent_id=payment_intent_id,
        )
        cancelled = await repo.cancel_order(
            conn, purchase.order_id, "late_payment_no_seats", payment_intent_id
        )
    outcome = await gateway(deps.settings).void_or_refund(
        payment_intent_id, f"late:{payment_intent_id}"
    )
    if cancelled:
        LATE_PAYMENTS.labels("cancelled").inc()
    PAYMENTS.labels(outcome).inc()
    await repo.mark_webhook_events_processed(deps.pool, payment_intent_id)
    return "late_cancelled"


async def _write_confirmed(
    deps: Deps, purchase: Purchase, payment_intent_id: str, hold: HoldRecord | None, *, late: bool
) -> None:
    """One transaction: the order is confirmed with everything that goes with it, once."""
    now = utcnow()
    created_at: datetime = from_epoch_ms(hold.created_at_ms) if hold and hold.created_at_ms else now
    expires_at: datetime = from_epoch_ms(hold.expires_at_ms) if hold and hold.expires_at_ms else now
    ticket_ids = [new_id() for _ in range(purchase.quantity)]
    codes = [
        sign_ticket(
            deps.settings.secret_key,
            TicketClaim(
                ticket_id=t, event_id=purchase.event_id, section=purchase.section, seq=i + 1
            ),
        )
        for i, t in enumerate(ticket_ids)
    ]
    async with deps.pool.acquire() as conn, conn.transaction():
        await repo.insert_order(
            conn,
            order_id=purchase.order_id,
            event_id=purchase.event_id,
            user_id=purchase.user_id,
            hold_id=purchase.hold_id,
            section=purchase.section,
            quantity=purchase.quantity,
            amount_cents=purchase.amount_cents,
            currency=purchase.currency,
            payment_intent_id=payment_intent_id,
        )
        row = await repo.order_for_update(conn, purchase.order_id)
        if row is None or row["status"] != "pending":
            return  # confirmed by an earlier run (or settled otherwise): nothing twice
        await repo.confirm_order(conn, purchase.order_id, payment_intent_id)
        await repo.insert_tickets(
            conn,
            order_id=purchase.order_id,
            event_id=purchase.event_id,
            section=purchase.section,
            ticket_ids=ticket_ids,
            codes=codes,
        )
        await repo.insert_payment(
            conn,
            payment_id=new_id(),
            order_id=purchase.order_id,
            payment_intent_id=payment_intent_id,
            amount_cents=purchase.amount_cents,
            currency=purchase.currency,
        )
        await repo.insert_ledger_entry(
            conn,
            event_id=purchase.event_id,
            section=purchase.section,
            reason="late_sale" if late else "sale",
            ref=purchase.order_id,
            delta_sold=purchase.quantity,
            delta_held=0 if late else -purchase.quantity,
        )
        await repo.insert_outbox(
            conn,
            "order_confirmed",
            f"order_confirmed:{purchase.order_id}",
            {
                "order_id": purchase.order_id,
                "event_id": purchase.event_id,
                "user_id": purchase.user_id,
                "section": purchase.section,
                "quantity": purchase.quantity,
                "amount_cents": purchase.amount_cents,
                "currency": purchase.currency,
                "ticket_codes": codes,
            },
        )
        await repo.upsert_hold_ledger(
            conn,
            hold_id=purchase.hold_id,
            event_id=purchase.event_id,
            section=purchase.section,
            user_id=purchase.user_id,
            quantity=purchase.quantity,
            amount_cents=purchase.amount_cents,
            currency=purchase.currency,
            status="converted",
            created_at=created_at,
            expires_at=expires_at,
        )
        # Last: the section row is every order's hot row; its lock is held only
        # from here to the commit, so concurrent finalizes overlap everything else.
        await repo.add_section_sold(conn, purchase.event_id, purchase.section, purchase.quantity)
    PAYMENTS.labels("confirmed").inc()
