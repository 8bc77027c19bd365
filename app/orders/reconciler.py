"""The payment reconciler: settles every PaymentIntent that no job finished.

Each PaymentIntent Onsale creates is journaled (payment_intents) until it is
settled. A cron walks the unsettled ones older than a bound and decides, with
Stripe's current state in hand:

- authorized (requires_capture / succeeded) and the order's own payment:
  pending -> finalize (tickets, then capture); confirmed -> capture;
- authorized but no order owns it (superseded, duplicate, cancelled order)
  and no live hold waits for it -> cancel the authorization (or refund);
- cancelled at Stripe: a pending order is cancelled; a confirmed order whose
  authorization is gone before capture is refunded with its tickets voided
  and its seats back on sale;
- undecided (the fan never paid) while the hold is gone -> cancel it;
- processing, or undecided with a live hold -> left for the next pass (the
  checkout sweeper owns live holds).

Every decision is a metric (onsale_payment_reconciler_decisions_total) and a
log line; onsale_payment_undecided_oldest_seconds feeds the alert rule
OnsalePaymentUndecided (prometheus/alerts.yml).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta

import stripe

from app.core.clock import now_ms, utcnow
from app.core.metrics import PAYMENT_UNDECIDED_AGE, RECONCILER_DECISIONS
from app.core.resources import Resources
from app.holds.record import read_hold
from app.holds.scripts import hold_scripts
from app.orders import repo
from app.orders.finalize import finalize_payment
from app.payments import journal
from app.payments import repo as payments_repo
from app.payments.gateway import AUTHORIZED, UNDECIDED, gateway
from app.payments.journal import JournalEntry

log = logging.getLogger("onsale.payments.reconciler")

BATCH = 200
CONCURRENCY = 8
LIVE_HOLD = ("active", "checking_out")


async def reconcile_payments(res: Resources, *, older_than_s: int) -> Counter[str]:
    """One pass over the unsettled PaymentIntents created more than older_than_s ago."""
    now = utcnow()
    entries = await journal.unsettled_payment_intents(
        res.pool, now - timedelta(seconds=older_than_s), BATCH
    )
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(entry: JournalEntry) -> str:
        async with gate:
            try:
                return await decide(res, entry)
            except Exception as exc:  # the next pass tries again
                log.warning("reconcile %s failed: %r", entry.payment_intent_id, exc)
                return "error"

    decisions = Counter(await asyncio.gather(*(one(e) for e in entries)))
    for decision, n in decisions.items():
        RECONCILER_DECISIONS.labels(decision=decision).inc(n)
    oldest = await journal.oldest_unsettled(res.pool)
    PAYMENT_UNDECIDED_AGE.set((utcnow() - oldest).total_seconds() if oldest else 0)
    return decisions


async def decide(res: Resources, entry: JournalEntry) -> str:
    """Bring one PaymentIntent to its end if it can be decided now; the decision."""
    pi = entry.payment_intent_id
    gw = gateway(res.settings)
    try:
        intent = await gw.retrieve(pi)
    except stripe.InvalidRequestError:
        await journal.settle_payment_intent(res.pool, pi, "unknown_to_stripe")
        return _log(entry, "cancelled", "unknown to Stripe")
    order = await repo.order_by_id(res.pool, entry.order_id)
    owns = order is not None and order["payment_intent_id"] == pi
    status = order["status"] if owns and order is not None else None

    if intent.status in AUTHORIZED:
        if status in ("pending", "confirmed"):
            outcome = await finalize_payment(res, pi, intent)
            if outcome == "confirmed":
                await journal.settle_payment_intent(res.pool, pi, "captured")
                decision = "finalized" if status == "pending" else "captured"
                return _log(entry, decision, outcome)
            await journal.settle_payment_intent(res.pool, pi, outcome)
            return _log(entry, "voided", outcome)
        if status == "refunded":
            return _log(entry, "left_undecided", "refund job owns it")
        if await _hold_waits_for(res, entry):
            return _log(entry, "left_undecided", "live hold")
        outcome = await gw.void_or_refund(pi, f"reconcile:{pi}")
        await journal.settle_payment_intent(res.pool, pi, f"orphan_{outcome}")
        return _log(entry, "voided", f"no order owns it: {outcome}")

    if intent.status == "canceled":
        await _release_checkout(res, entry)
        if status == "pending":
            await repo.cancel_order(res.pool, entry.order_id, "payment_canceled", pi)
        elif status == "confirmed":
            await _void_confirmed(res, entry)
        await journal.settle_payment_intent(res.pool, pi, "cancelled")
        return _log(entry, "cancelled", f"cancelled at Stripe, order {status}")

    if intent.status in UNDECIDED and not await _hold_waits_for(res, entry):
        intent = await gw.cancel(pi)
        if intent.status in AUTHORIZED:  # paid at the very last moment: next pass finalizes
            return _log(entry, "left_undecided", "paid while cancelling")
        await _release_checkout(res, entry)
        if status == "pending":
            await repo.cancel_order(res.pool, entry.order_id, "checkout_abandoned", pi)
        await journal.settle_payment_intent(res.pool, pi, "cancelled")
        return _log(entry, "cancelled", "never paid, hold gone")
    return _log(entry, "left_undecided", intent.status)


async def _release_checkout(res: Resources, entry: JournalEntry) -> None:
    """A hold still in checkout with this (cancelled) PaymentIntent gives its seats back now,
    not at its deadline."""
    if await hold_scripts(res.scripts).expire_checkout(
        entry.event_id, entry.hold_id, entry.payment_intent_id, now_ms()
    ):
        log.info("payment reconciler: hold %s released (payment cancelled)", entry.hold_id)


async def _hold_waits_for(res: Resources, entry: JournalEntry) -> bool:
    """Is the hold alive, and still about this PaymentIntent (or none yet)?"""
    hold = await read_hold(res.redis, entry.event_id, entry.hold_id)
    return (
        hold is not None
        and hold.status in LIVE_HOLD
        and hold.payment_intent_id in ("", entry.payment_intent_id)
    )


async def _void_confirmed(res: Resources, entry: JournalEntry) -> None:
    """A confirmed order whose authorization ended uncaptured: no money, so no tickets."""
    order_id = entry.order_id
    async with res.pool.acquire() as conn, conn.transaction():
        order = await repo.order_for_update(conn, order_id)
        if order is None or not await repo.mark_order_refunded(conn, order_id):
            return
        await repo.void_tickets(conn, order_id)
        await payments_repo.mark_payment_refunded(conn, entry.payment_intent_id)
        await repo.add_section_sold(conn, entry.event_id, order["section_code"], -order["quantity"])
        await repo.insert_ledger_entry(
            conn,
            event_id=entry.event_id,
            section=order["section_code"],
            reason="capture_failed",
            ref=order_id,
            delta_sold=-order["quantity"],
            delta_held=0,
        )
    seat_ids = await repo.refunded_seat_ids(res.pool, order_id)
    lines = await repo.refunded_type_lines(res.pool, order_id)
    await hold_scripts(res.scripts).return_seats(
        entry.event_id,
        order_id=order_id,
        section=order["section_code"],
        quantity=order["quantity"],
        user_id=str(order["user_id"]),
        seats=seat_ids,
        lines=lines,
    )


def _log(entry: JournalEntry, decision: str, why: str) -> str:
    log.info(
        "payment reconciler: %s %s (order %s): %s",
        decision,
        entry.payment_intent_id,
        entry.order_id,
        why,
    )
    return decision
