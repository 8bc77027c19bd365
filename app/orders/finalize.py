"""Finalize a payment: hold -> sold in Redis, order + tickets + payment in Postgres, capture.

Steps, each idempotent so a job retried after a crash between any two of them
has the effect once:

1. read the PaymentIntent back from Stripe (webhooks may arrive out of order), unless
   the caller just learned from Stripe itself that it is authorized: a signed
   `payment_intent.amount_capturable_updated`/`succeeded` webhook, or its own read
   (the sweeper, the reconciler, a pending order's re-read). A snapshot can only
   be stale towards a later state, and each later step checks its own: Redis's
   convert, the order's status under its row lock, and the capture, whose refusal
   reads the PaymentIntent back (a retried job reads it first);
2. convert the hold in Redis (convert_hold.lua; a retry sees "already");
   a late payment retakes seats if any are left, else the order is cancelled
   and the authorization voided (or the charge refunded);
3. one Postgres transaction: order confirmed, tickets, payment, sections.sold,
   inventory ledger, outbox message, holds ledger row (guarded by the order's
   pending -> confirmed transition under a row lock); concurrent jobs of a
   process share that transaction (app.orders.confirm);
4. capture the PaymentIntent (a second capture is a no-op), mark it captured.
"""

from __future__ import annotations

import logging
import os
import random
import signal

import asyncpg

from app.core import keys
from app.core.clock import now_ms
from app.core.metrics import HOLDS, LATE_PAYMENTS, PAYMENTS
from app.core.resources import Resources
from app.core.settings import Settings
from app.holds.record import HoldRecord, read_hold_batched
from app.holds.scripts import Convert, hold_scripts
from app.orders import repo
from app.orders.confirm import write_confirmed
from app.orders.lookup import order_state
from app.orders.purchase import Purchase
from app.orders.tally import OrderTally
from app.payments import journal
from app.payments import repo as payments_repo
from app.payments.captured import record_captured
from app.payments.gateway import AUTHORIZED, Intent, gateway

log = logging.getLogger("onsale.finalize")

# Fault-injection points of ONSALE_FAULT_INJECT (tests kill the worker there).
STEPS = ("after_stripe_read", "after_redis_convert", "after_pg_commit", "after_capture")


class InjectedFault(RuntimeError):
    """An error raised on purpose by ONSALE_FAULT_INJECT=raise:<step>:<fraction> (tests)."""


def fault(settings: Settings, step: str) -> None:
    """Test-only fault hook: `<step>` SIGKILLs the worker there; `raise:<step>:<fraction>`
    raises InjectedFault there in that fraction of runs (a Postgres or Stripe error)."""
    spec = settings.fault_inject
    if not spec:
        return
    if spec == step:
        log.warning("fault injection: SIGKILL at %s", step)
        os.kill(os.getpid(), signal.SIGKILL)
    kind, _, rest = spec.partition(":")
    where, _, fraction = rest.partition(":")
    if kind == "raise" and where == step and random.random() < float(fraction or "1"):
        log.warning("fault injection: error at %s", step)
        raise InjectedFault(f"injected fault at {step}")


# Outcomes that end a PaymentIntent for good, as the journal records them.
_SETTLED = {
    "confirmed": "captured",
    "duplicate_voided": "duplicate_voided",
    "voided": "voided",
    "late_cancelled": "late_cancelled",
    "canceled": "cancelled",
}


async def finalize_payment(
    res: Resources, payment_intent_id: str, known: Intent | None = None
) -> str:
    """Settle one PaymentIntent; returns the outcome (for logs and tests). A final outcome
    settles its journal entry, so the payment reconciler never looks at it again. `known`:
    the PaymentIntent as Stripe itself just gave it (used only when authorized)."""
    outcome = await _finalize(res, payment_intent_id, known)
    # A confirmed one was settled with its capture's bookkeeping (_capture).
    if outcome in _SETTLED and outcome != "confirmed":
        await journal.settle_payment_intent(res.pool, payment_intent_id, _SETTLED[outcome])
    return outcome


async def _finalize(res: Resources, payment_intent_id: str, known: Intent | None) -> str:
    if known is not None and known.id == payment_intent_id and known.status in AUTHORIZED:
        intent = known
    else:
        intent = await gateway(res.settings).retrieve(payment_intent_id)
    purchase = Purchase.of_intent(intent)
    if purchase is None:
        return "not_ours"
    fault(res.settings, "after_stripe_read")
    if intent.status not in AUTHORIZED:
        return await _not_authorized(res, purchase, intent)
    order = await order_state(res.pool, purchase.order_id)
    settled = await _settled_elsewhere(res, order, payment_intent_id)
    if settled is not None:
        return settled
    hold: HoldRecord | None = None
    if order is None or order["status"] != "confirmed":
        hold = await read_hold_batched(res.scripts, purchase.event_id, purchase.hold_id)
        outcome = await _convert_and_record(
            res, purchase, payment_intent_id, hold, order_seen=order is not None
        )
        if outcome is not None:
            return outcome
    # Confirmed (now or by an earlier run of this job): the console's figures count it once.
    await res.scripts.view(OrderTally).confirmed(
        purchase.event_id, purchase.order_id, purchase.amount_cents
    )
    await _capture(res, intent)
    await _end_session(res, purchase, hold)
    return "confirmed"


async def _not_authorized(res: Resources, purchase: Purchase, intent: Intent) -> str:
    """Undecided, processing or failed: the fan may still retry on the same PaymentIntent;
    the checkout sweeper settles it at the deadline. A cancelled one was cancelled by us:
    its pending order goes too."""
    if intent.status == "canceled":
        await repo.cancel_order(res.pool, purchase.order_id, "payment_canceled", intent.id)
    await payments_repo.mark_webhook_events_processed(res.pool, intent.id)
    return intent.status


async def _settled_elsewhere(
    res: Resources, order: asyncpg.Record | None, payment_intent_id: str
) -> str | None:
    """The outcome when the order belongs to another PaymentIntent or is already settled."""
    gw = gateway(res.settings)
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
        await payments_repo.mark_webhook_events_processed(res.pool, payment_intent_id)
        return "voided"
    return None


async def _convert_and_record(
    res: Resources,
    purchase: Purchase,
    payment_intent_id: str,
    hold: HoldRecord | None,
    *,
    order_seen: bool,
) -> str | None:
    """Seats sold in Redis, then the confirmed order in Postgres; an outcome ends the job."""
    code = await hold_scripts(res.scripts).convert(
        purchase.event_id,
        purchase.hold_id,
        payment_intent_id=payment_intent_id,
        order_id=purchase.order_id,
        user_id=purchase.user_id,
        section=purchase.section,
        quantity=purchase.quantity,
        now=now_ms(),
        seats=purchase.seats,
        lines=purchase.lines,
    )
    fault(res.settings, "after_redis_convert")
    if code is Convert.OTHER_PAYMENT:
        await gateway(res.settings).void_or_refund(
            payment_intent_id, f"duplicate:{payment_intent_id}"
        )
        PAYMENTS.labels("duplicate_voided").inc()
        return "duplicate_voided"
    if code in (Convert.NO_SEATS, Convert.OVER_LIMIT):
        return await _late_without_seats(res, purchase, payment_intent_id)
    if code is Convert.RETAKEN:
        LATE_PAYMENTS.labels("confirmed").inc()
    await write_confirmed(
        res.pool,
        res.settings,
        purchase,
        payment_intent_id,
        hold,
        late=code is Convert.RETAKEN,
        order_seen=order_seen,
    )
    HOLDS.labels(outcome="converted").inc()
    fault(res.settings, "after_pg_commit")
    return None


async def _capture(res: Resources, intent: Intent) -> None:
    if intent.status == "requires_capture":
        await gateway(res.settings).capture(intent.id)
        PAYMENTS.labels("captured").inc()
        fault(res.settings, "after_capture")
    # Payment captured, webhook events processed, journal settled: one statement, shared
    # with the concurrent jobs of this worker.
    await record_captured(res.pool, intent.id)


async def _end_session(res: Resources, purchase: Purchase, hold: HoldRecord | None) -> None:
    """The purchase is complete: the shopping session that made the hold ends, so
    max_active_shoppers admits the next fan at once (not when the session times out).
    The hold as read before its conversion names the session (one read less); the read
    and the removal share pipeline round trips with the worker's concurrent jobs."""
    if hold is None:
        hold = await read_hold_batched(res.scripts, purchase.event_id, purchase.hold_id)
    if hold is not None and hold.session_id:
        await res.scripts.command_batched(
            "ZREM", keys.active_sessions(purchase.event_id), hold.session_id
        )


async def _late_without_seats(res: Resources, purchase: Purchase, payment_intent_id: str) -> str:
    """Paid after the hold ended and the seats are gone: cancel the order, give the money back."""
    async with res.pool.acquire() as conn, conn.transaction():
        await repo.insert_order(conn, purchase, payment_intent_id)
        cancelled = await repo.cancel_order(
            conn, purchase.order_id, "late_payment_no_seats", payment_intent_id
        )
    outcome = await gateway(res.settings).void_or_refund(
        payment_intent_id, f"late:{payment_intent_id}"
    )
    if cancelled:
        LATE_PAYMENTS.labels("cancelled").inc()
    PAYMENTS.labels(outcome).inc()
    await payments_repo.mark_webhook_events_processed(res.pool, payment_intent_id)
    return "late_cancelled"
