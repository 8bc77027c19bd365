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

A batch is three statements whatever its size (orders.sql confirm_orders):
every order's rows (order confirmed, tickets, payment, ledger, outbox,
holds ledger) in one statement of arrays, then one `sold` update per
section, then the commit; the insert of a missing pending order comes first
only when a job did not see its row. At the rates finalize runs, most
batches hold one to a few orders, so the statements per batch, not per
order, are what the worker and Postgres spend their CPU on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

import asyncpg

from app.core.batcher import MicroBatcher, Pending
from app.core.clock import from_epoch_ms, utcnow
from app.core.ids import new_id
from app.core.metrics import PAYMENTS
from app.core.perpool import PerPool
from app.core.settings import Settings
from app.holds.record import HoldRecord
from app.orders import repo
from app.orders.purchase import Purchase
from app.orders.repo import Confirmation
from app.tickets.keys import SigningKey, current_signer

log = logging.getLogger("onsale.finalize")

# Orders per shared transaction (bounds the transaction's size and lock time).
GROUP_MAX = 64
GROUP_IN_FLIGHT = 4


def confirmation(
    key: SigningKey,
    purchase: Purchase,
    payment_intent_id: str,
    hold: HoldRecord | None,
    late: bool,
    order_seen: bool = False,
) -> Confirmation:
    """Ticket ids and codes signed with the event's key made up front: the transaction only
    writes."""
    now = utcnow()
    ticket_ids = [new_id() for _ in range(purchase.quantity)]
    return Confirmation(
        purchase=purchase,
        payment_intent_id=payment_intent_id,
        late=late,
        order_seen=order_seen,
        created_at=from_epoch_ms(hold.created_at_ms) if hold and hold.created_at_ms else now,
        expires_at=from_epoch_ms(hold.expires_at_ms) if hold and hold.expires_at_ms else now,
        payment_id=new_id(),
        ticket_ids=ticket_ids,
        codes=[
            key.sign(t, purchase.section, i + 1, _seat(purchase, i))
            for i, t in enumerate(ticket_ids)
        ],
        kid=key.kid,
        seats=list(purchase.seats),
    )


def _seat(purchase: Purchase, i: int) -> str | None:
    return purchase.seats[i] if i < len(purchase.seats) else None


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
                    confirmed = await _write(conn, _distinct([item for item, _ in batch]))
            except Exception as exc:
                log.warning("group commit of %d orders failed (%r); one by one", len(batch), exc)
            else:
                _settle(batch, confirmed)
                return
        for item, future in batch:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    confirmed = await _write(conn, [item])
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                _settle([(item, future)], confirmed)


# Every confirm of one pool shares its transactions: one GroupCommit per pool.
group_commit = PerPool(GroupCommit)


def _settle(batch: list[Pending[Confirmation]], confirmed: int) -> None:
    if confirmed:
        PAYMENTS.labels("confirmed").inc(confirmed)
    for _, future in batch:
        if not future.done():
            future.set_result(None)


def _distinct(items: list[Confirmation]) -> list[Confirmation]:
    """One confirmation per order (two runs of one PaymentIntent's job may share a batch): the
    statement writes each order's rows once."""
    seen: dict[str, Confirmation] = {}
    for item in items:
        seen.setdefault(item.purchase.order_id, item)
    return list(seen.values())


async def _write(conn: asyncpg.Connection, items: Sequence[Confirmation]) -> int:
    """Everything of the batch's orders; how many were confirmed now (an order confirmed by
    an earlier run, or settled otherwise, gets nothing twice). The section rows are every
    order's hot rows: their locks are taken last, held only from there to the commit, once
    per section, in a fixed order."""
    await repo.insert_orders(conn, [item for item in items if not item.order_seen])
    confirmed = await repo.confirm_orders(conn, items)
    sold: Counter[tuple[str, str]] = Counter()
    for row in confirmed:
        sold[(str(row["event_id"]), row["section_code"])] += row["quantity"]
    seats = {item.purchase.order_id: item.seats for item in items}
    for (event_id, section), quantity in sorted(sold.items()):
        # The same statement says whether the section has open resale listings: a sale takes
        # them first (their seats were back on sale), under the section's lock, as listing
        # and withdrawing take it; with none (nearly always) that costs no round trip. A sale
        # of reserved seats takes the listings of exactly its seats.
        if await repo.add_section_sold_seeing_listings(conn, event_id, section, quantity):
            for row in confirmed:
                if (str(row["event_id"]), row["section_code"]) == (event_id, section):
                    order_id = str(row["order_id"])
                    await _take_listings(
                        conn, event_id, section, order_id, row["quantity"], seats.get(order_id, [])
                    )
    return len(confirmed)


async def _take_listings(
    conn: asyncpg.Connection,
    event_id: str,
    section: str,
    order_id: str,
    quantity: int,
    seat_ids: Sequence[str],
) -> None:
    for row in await repo.match_resale(conn, event_id, section, order_id, quantity, seat_ids):
        listing_id = str(row["listing_id"])
        await repo.insert_outbox(
            conn,
            "resale_sold",
            f"resale_sold:{listing_id}",
            {
                "listing_id": listing_id,
                "event_id": event_id,
                "user_id": str(row["seller_id"]),
                "amount_cents": row["price_cents"] - row["fee_cents"],
                "currency": row["currency"],
            },
        )


async def write_confirmed(
    pool: asyncpg.Pool,
    settings: Settings,
    purchase: Purchase,
    payment_intent_id: str,
    hold: HoldRecord | None,
    *,
    late: bool,
    order_seen: bool = False,
) -> None:
    """The order confirmed with everything that goes with it, once, committed (maybe together
    with other jobs' orders). `order_seen`: the caller read the order's row, so it exists."""
    key = await current_signer(pool, settings, purchase.event_id)
    item = confirmation(key, purchase, payment_intent_id, hold, late, order_seen)
    await group_commit(pool).write(item)
