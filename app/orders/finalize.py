"""Finalize a payment: hold -> sold in Redis, order + tickets + payment in Postgres, capture.

Steps, each idempotent so a job retried after a crash between any two of them
has the effect once:

1. read the PaymentIntent back from Stripe (webhooks may arrive out of order);
2. convert the hold in Redis (convert_hold.lua; a retry sees "already");
   a late payment retakes seats if any are left, else the order is cancelled
   and the authorization voided (or the charge refunded);
3. one Postgres transaction: order confirmed, tickets, payment, sections.sold,
   inventory ledger, outbox message, holds ledger row (guarded by the order's
   pending -> confirmed transition under a row lock); concurrent jobs of a
   process share that transaction (group commit, see _GroupCommit);
4. capture the PaymentIntent (a second capture is a no-op), mark it captured.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import uuid
from collections import Counter
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
from app.payments import journal
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
            await journal.settle_payment_intent(deps.pool, payment_intent_id, "cancelled")
        await repo.mark_webhook_events_processed(deps.pool, payment_intent_id)
        return intent.status

    order = await repo.order_by_id(deps.pool, purchase.order_id)
    if order is not None and order["payment_intent_id"] not in (None, payment_intent_id):
        # A second PaymentIntent for a hold that already has one: give it back.
        await gw.void_or_refund(payment_intent_id, f"duplicate:{payment_intent_id}")
        PAYMENTS.labels("duplicate_voided").inc()
        await journal.settle_payment_intent(deps.pool, payment_intent_id, "duplicate_voided")
        return "duplicate_voided"
    status = order["status"] if order is not None else None
    if status == "refunded":
        return "refunded"  # the refund job owns it
    if status == "cancelled":
        await gw.void_or_refund(payment_intent_id, f"void:{payment_intent_id}")
        await repo.mark_webhook_events_processed(deps.pool, payment_intent_id)
        await journal.settle_payment_intent(deps.pool, payment_intent_id, "voided")
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
            await journal.settle_payment_intent(deps.pool, payment_intent_id, "duplicate_voided")
            return "duplicate_voided"
        if code in (Convert.NO_SEATS, Convert.OVER_LIMIT):
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
    await journal.settle_payment_intent(deps.pool, payment_intent_id, "captured")
    return "confirmed"


async def _insert_order(
    conn: asyncpg.Connection, purchase: Purchase, payment_intent_id: str
) -> None:
    """The purchase's order row (a no-op when an earlier run wrote it)."""
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


async def _late_without_seats(deps: Deps, purchase: Purchase, payment_intent_id: str) -> str:
    """Paid after the hold ended and the seats are gone: cancel the order, give the money back."""
    async with deps.pool.acquire() as conn, conn.transaction():
        await _insert_order(conn, purchase, payment_intent_id)
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
    await journal.settle_payment_intent(deps.pool, payment_intent_id, "late_cancelled")
    return "late_cancelled"


@dataclass
class _Confirmation:
    """One order to confirm, with everything computed before the transaction."""

    purchase: Purchase
    payment_intent_id: str
    late: bool
    created_at: datetime
    expires_at: datetime
    ticket_ids: list[str]
    codes: list[str]
    done: asyncio.Future[None]


class _GroupCommit:
    """Confirms the orders of concurrent finalize jobs of one process in shared transactions.

    Every order's transaction ends with the section's `sold` update, and that
    row lock is held through the commit's WAL flush: orders of one section
    commit one at a time, about 1 / (commit latency). A batch takes the lock
    once for all its orders (sold updates summed, in a fixed section order so
    two batches never deadlock on them). Up to GROUP_IN_FLIGHT batches are in
    flight per process (one writes its rows while another holds the section
    lock through its commit); jobs that arrive meanwhile form the next. A
    batch that fails
    (one order refused by a constraint, a deadlock) is retried one order per
    transaction, so one bad order never fails the others.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.pending: list[_Confirmation] = []
        self.flushing = 0

    async def write(self, item: _Confirmation) -> None:
        self.pending.append(item)
        if self.flushing < GROUP_IN_FLIGHT:
            self.flushing += 1
            asyncio.get_running_loop().create_task(self._flush())
        await item.done

    async def _flush(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending[:GROUP_MAX], self.pending[GROUP_MAX:]
                try:
                    await self._commit(batch)
                except BaseException as exc:  # cancelled (shutdown): no job waits forever
                    for item in batch:
                        if not item.done.done():
                            item.done.set_exception(RuntimeError(f"order write stopped: {exc!r}"))
                    raise
        finally:
            self.flushing -= 1

    async def _commit(self, batch: list[_Confirmation]) -> None:
        if len(batch) > 1:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    confirmed = [item for item in batch if await _order_rows(conn, item)]
                    await _add_sold(conn, confirmed)
            except Exception:
                log.warning("group commit of %d orders failed; one by one", len(batch))
            else:
                _settle(batch, confirmed)
                return
        for item in batch:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    ok = await _order_rows(conn, item)
                    await _add_sold(conn, [item] if ok else [])
            except Exception as exc:
                if not item.done.done():
                    item.done.set_exception(exc)
            else:
                _settle([item], [item] if ok else [])


# Orders per shared transaction (bounds the transaction's size and lock time).
GROUP_MAX = 64
GROUP_IN_FLIGHT = 4
# One per pool (asyncpg pools take no weak references; closed ones are dropped).
_GROUPS: dict[int, _GroupCommit] = {}


def _group(pool: asyncpg.Pool) -> _GroupCommit:
    group = _GROUPS.get(id(pool))
    if group is None or group.pool is not pool:
        for key, other in list(_GROUPS.items()):
            if other.pool.is_closing():
                del _GROUPS[key]
        group = _GROUPS[id(pool)] = _GroupCommit(pool)
    return group


def _settle(batch: list[_Confirmation], confirmed: list[_Confirmation]) -> None:
    if confirmed:
        PAYMENTS.labels("confirmed").inc(len(confirmed))
    for item in batch:
        if not item.done.done():
            item.done.set_result(None)


async def _write_confirmed(
    deps: Deps, purchase: Purchase, payment_intent_id: str, hold: HoldRecord | None, *, late: bool
) -> None:
    """The order confirmed with everything that goes with it, once, committed (maybe together
    with other jobs' orders: see _GroupCommit)."""
    now = utcnow()
    ticket_ids = [new_id() for _ in range(purchase.quantity)]
    item = _Confirmation(
        purchase=purchase,
        payment_intent_id=payment_intent_id,
        late=late,
        created_at=from_epoch_ms(hold.created_at_ms) if hold and hold.created_at_ms else now,
        expires_at=from_epoch_ms(hold.expires_at_ms) if hold and hold.expires_at_ms else now,
        ticket_ids=ticket_ids,
        codes=[
            sign_ticket(
                deps.settings.secret_key,
                TicketClaim(
                    ticket_id=t, event_id=purchase.event_id, section=purchase.section, seq=i + 1
                ),
            )
            for i, t in enumerate(ticket_ids)
        ],
        done=asyncio.get_running_loop().create_future(),
    )
    await _group(deps.pool).write(item)


async def _order_rows(conn: asyncpg.Connection, item: _Confirmation) -> bool:
    """Everything of one confirmed order but the section's sold count; False if it was
    confirmed by an earlier run (or settled otherwise): nothing twice."""
    purchase, payment_intent_id = item.purchase, item.payment_intent_id
    await _insert_order(conn, purchase, payment_intent_id)
    row = await repo.order_for_update(conn, purchase.order_id)
    if row is None or row["status"] != "pending":
        return False
    await repo.confirm_order(conn, purchase.order_id, payment_intent_id)
    await repo.insert_tickets(
        conn,
        order_id=purchase.order_id,
        event_id=purchase.event_id,
        section=purchase.section,
        ticket_ids=item.ticket_ids,
        codes=item.codes,
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
        reason="late_sale" if item.late else "sale",
        ref=purchase.order_id,
        delta_sold=purchase.quantity,
        delta_held=0 if item.late else -purchase.quantity,
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
            "ticket_codes": item.codes,
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
        created_at=item.created_at,
        expires_at=item.expires_at,
    )
    return True


async def _add_sold(conn: asyncpg.Connection, confirmed: list[_Confirmation]) -> None:
    """Last: the section row is every order's hot row; its lock is held only from here to
    the commit, once per section, in a fixed order."""
    sold: Counter[tuple[str, str]] = Counter()
    for item in confirmed:
        sold[(item.purchase.event_id, item.purchase.section)] += item.purchase.quantity
    for (event_id, section), quantity in sorted(sold.items()):
        await repo.add_section_sold(conn, event_id, section, quantity)
