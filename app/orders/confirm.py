"""Confirming paid orders in Postgres, the orders of concurrent finalize jobs together.

Every order's transaction ends with the section's `sold` update (and, under that
lock, the section's open resale listings its seats take: app.moves), and that row
lock is held through the commit's WAL flush: orders of one section commit one
at a time, about 1 / (commit latency). A batch takes the lock once for all
its orders (sold updates summed, in a fixed section order so two batches never
deadlock on them). Up to GROUP_IN_FLIGHT batches are in flight per process
(one writes its rows while another holds the section lock through its
commit); jobs that arrive meanwhile form the next (app.core.batcher). A batch
that fails (one order refused by a constraint, a deadlock) is retried one
order per transaction, so one bad order never fails the others.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from app.core.batcher import MicroBatcher, Pending
from app.core.clock import from_epoch_ms, utcnow
from app.core.ids import new_id
from app.core.metrics import PAYMENTS
from app.core.perpool import PerPool
from app.holds import repo as holds_repo
from app.holds.record import HoldRecord
from app.holds.repo import LedgerHold
from app.orders import repo
from app.orders.purchase import Purchase
from app.orders.tickets import TicketClaim, sign_ticket
from app.payments import repo as payments_repo

log = logging.getLogger("onsale.finalize")

# Orders per shared transaction (bounds the transaction's size and lock time).
GROUP_MAX = 64
GROUP_IN_FLIGHT = 4


@dataclass
class Confirmation:
    """One order to confirm, with everything computed before the transaction."""

    purchase: Purchase
    payment_intent_id: str
    late: bool
    created_at: datetime
    expires_at: datetime
    ticket_ids: list[str]
    codes: list[str]


def confirmation(
    secret: str, purchase: Purchase, payment_intent_id: str, hold: HoldRecord | None, late: bool
) -> Confirmation:
    """Ticket ids and signed codes made up front: the transaction only writes."""
    now = utcnow()
    ticket_ids = [new_id() for _ in range(purchase.quantity)]
    claims = [
        TicketClaim(ticket_id=t, event_id=purchase.event_id, section=purchase.section, seq=i + 1)
        for i, t in enumerate(ticket_ids)
    ]
    return Confirmation(
        purchase=purchase,
        payment_intent_id=payment_intent_id,
        late=late,
        created_at=from_epoch_ms(hold.created_at_ms) if hold and hold.created_at_ms else now,
        expires_at=from_epoch_ms(hold.expires_at_ms) if hold and hold.expires_at_ms else now,
        ticket_ids=ticket_ids,
        codes=[sign_ticket(secret, claim) for claim in claims],
    )


class GroupCommit:
    """Confirms the orders of one pool's concurrent jobs in shared transactions."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._batcher = MicroBatcher[Confirmation](
            self._commit, max_batch=GROUP_MAX, max_in_flight=GROUP_IN_FLIGHT
        )

    async def write(self, item: Confirmation) -> None:
        await self._batcher.submit(item)

    async def _commit(self, batch: list[Pending[Confirmation]]) -> None:
        if len(batch) > 1:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    confirmed = [item for item, _ in batch if await _order_rows(conn, item)]
                    await _add_sold(conn, confirmed)
            except Exception:
                log.warning("group commit of %d orders failed; one by one", len(batch))
            else:
                _settle(batch, len(confirmed))
                return
        for item, future in batch:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    ok = await _order_rows(conn, item)
                    await _add_sold(conn, [item] if ok else [])
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                _settle([(item, future)], 1 if ok else 0)


# Every confirm of one pool shares its transactions: one GroupCommit per pool.
group_commit = PerPool(GroupCommit)


def _settle(batch: list[Pending[Confirmation]], confirmed: int) -> None:
    if confirmed:
        PAYMENTS.labels("confirmed").inc(confirmed)
    for _, future in batch:
        if not future.done():
            future.set_result(None)


async def _order_rows(conn: asyncpg.Connection, item: Confirmation) -> bool:
    """Everything of one confirmed order but the section's sold count; False if it was
    confirmed by an earlier run (or settled otherwise): nothing twice."""
    purchase, payment_intent_id = item.purchase, item.payment_intent_id
    await repo.insert_order(conn, purchase, payment_intent_id)
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
    await payments_repo.insert_payment(
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
    await holds_repo.mark_converted(
        conn,
        LedgerHold(
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
            ended_at=None,
        ),
    )
    return True


async def _add_sold(conn: asyncpg.Connection, confirmed: list[Confirmation]) -> None:
    """Last: the section row is every order's hot row; its lock is held only from here to
    the commit, once per section, in a fixed order."""
    sold: Counter[tuple[str, str]] = Counter()
    for item in confirmed:
        sold[(item.purchase.event_id, item.purchase.section)] += item.purchase.quantity
    for (event_id, section), quantity in sorted(sold.items()):
        await repo.add_section_sold(conn, event_id, section, quantity)
        # Under the section's lock, as listing and withdrawing take it: a sale of the
        # section takes its open resale listings first (their seats were back on sale).
        for item in confirmed:
            p = item.purchase
            if (p.event_id, p.section) == (event_id, section):
                await _take_listings(conn, p)


async def _take_listings(conn: asyncpg.Connection, purchase: Purchase) -> None:
    for row in await repo.match_resale(
        conn, purchase.event_id, purchase.section, purchase.order_id, purchase.quantity
    ):
        listing_id = str(row["listing_id"])
        await repo.insert_outbox(
            conn,
            "resale_sold",
            f"resale_sold:{listing_id}",
            {
                "listing_id": listing_id,
                "event_id": purchase.event_id,
                "user_id": str(row["seller_id"]),
                "amount_cents": row["price_cents"] - row["fee_cents"],
                "currency": row["currency"],
            },
        )


async def write_confirmed(
    pool: asyncpg.Pool,
    secret: str,
    purchase: Purchase,
    payment_intent_id: str,
    hold: HoldRecord | None,
    *,
    late: bool,
) -> None:
    """The order confirmed with everything that goes with it, once, committed (maybe together
    with other jobs' orders)."""
    await group_commit(pool).write(confirmation(secret, purchase, payment_intent_id, hold, late))
