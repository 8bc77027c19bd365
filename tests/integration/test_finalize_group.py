"""Group commit of finalize: concurrent jobs' orders share transactions, each order once,
and one order Postgres refuses never takes the others of its batch down with it."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid

import asyncpg

from app.core.ids import new_id
from app.core.resources import Resources
from app.core.settings import Settings
from app.orders import repo
from app.orders.confirm import write_confirmed
from app.orders.purchase import Purchase, order_id_for
from app.tickets import codes, keys
from tests.support.api import Api


async def event_with(api: Api, capacity: int) -> tuple[str, str]:
    org = await api.user("organizer")
    sections = [{"code": "FLOOR", "name": "Floor", "price_cents": 5000, "capacity": capacity}]
    event = await api.event(org, sections=sections, max_per_user=4)
    fan = await api.user("fan")
    return event["event_id"], fan.user_id


def purchase(event_id: str, user_id: str) -> Purchase:
    hold_id = new_id()
    return Purchase(
        hold_id=hold_id,
        event_id=event_id,
        order_id=order_id_for(hold_id),
        user_id=user_id,
        section="FLOOR",
        quantity=1,
        amount_cents=5000,
        currency="EUR",
    )


async def confirm(resources: Resources, p: Purchase) -> None:
    await write_confirmed(
        resources.pool, resources.settings, p, f"pi_{p.hold_id}", None, late=False
    )


async def counts(database_url: str, event_id: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(database_url)
    try:
        ev = uuid.UUID(event_id)
        sold = await conn.fetchval("SELECT sold FROM sections WHERE event_id = $1", ev)
        confirmed = await conn.fetchval(
            "SELECT count(*) FROM orders WHERE event_id = $1 AND status = 'confirmed'", ev
        )
        tickets = await conn.fetchval("SELECT count(*) FROM tickets WHERE event_id = $1", ev)
    finally:
        await conn.close()
    return int(sold), int(confirmed), int(tickets)


async def test_concurrent_confirmations_each_once(
    api: Api, resources: Resources, settings: Settings
) -> None:
    event_id, user_id = await event_with(api, 200)
    purchases = [purchase(event_id, user_id) for _ in range(150)]
    await asyncio.gather(*(confirm(resources, p) for p in purchases))
    assert await counts(settings.database_url, event_id) == (150, 150, 150)
    # A second run of every job (retries) changes nothing.
    await asyncio.gather(*(confirm(resources, p) for p in purchases))
    assert await counts(settings.database_url, event_id) == (150, 150, 150)


async def test_refused_order_does_not_fail_its_batch(
    api: Api, resources: Resources, settings: Settings
) -> None:
    event_id, user_id = await event_with(api, 10)
    purchases = [purchase(event_id, user_id) for _ in range(12)]
    results = await asyncio.gather(
        *(confirm(resources, p) for p in purchases),
        return_exceptions=True,
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    # sold <= capacity (the CHECK) refuses exactly the two orders past capacity.
    assert len(failed) == 2
    assert all(isinstance(r, asyncpg.CheckViolationError) for r in failed)
    assert await counts(settings.database_url, event_id) == (10, 10, 10)


def bought(event_id: str, user_id: str, quantity: int) -> Purchase:
    return dataclasses.replace(
        purchase(event_id, user_id), quantity=quantity, amount_cents=5000 * quantity
    )


async def test_a_batch_writes_each_orders_rows_once_and_right(
    api: Api, resources: Resources, settings: Settings
) -> None:
    """One statement writes a batch: every order gets its own tickets (signed codes in seat
    order), payment, ledger entry (a late sale held nothing), outbox message and converted
    holds-ledger row, and two runs of one order in the same batch write it once."""
    event_id, user_id = await event_with(api, 200)
    purchases = [bought(event_id, user_id, 1 + i % 3) for i in range(30)]
    late = {p.order_id for p in purchases[::5]}

    async def run(p: Purchase) -> None:
        await write_confirmed(
            resources.pool,
            resources.settings,
            p,
            f"pi_{p.hold_id}",
            None,
            late=p.order_id in late,
        )

    # Every purchase twice in the same tick: duplicates share a batch.
    await asyncio.gather(*(run(p) for p in purchases + purchases))
    seats = sum(p.quantity for p in purchases)
    assert await counts(settings.database_url, event_id) == (seats, 30, seats)

    public_keys = {
        k.kid: codes.public_key_from(codes.b64url(k.public_key))
        for k in await keys.published(resources.pool, event_id)
    }
    conn = await asyncpg.connect(settings.database_url)
    try:
        for p in purchases:
            oid = uuid.UUID(p.order_id)
            order = await conn.fetchrow("SELECT * FROM orders WHERE order_id = $1", oid)
            assert (order["status"], order["payment_intent_id"]) == ("confirmed", f"pi_{p.hold_id}")
            tickets = await conn.fetch(
                "SELECT ticket_id, seq, code, section_code FROM tickets WHERE order_id = $1 "
                "ORDER BY seq",
                oid,
            )
            assert [t["seq"] for t in tickets] == list(range(1, p.quantity + 1))
            for t in tickets:
                claim = codes.verify(t["code"], public_keys).claim
                assert (claim.ticket_id, claim.event_id, claim.section, claim.seq) == (
                    str(t["ticket_id"]),
                    event_id,
                    "FLOOR",
                    t["seq"],
                )
            payments = await conn.fetch(
                "SELECT payment_intent_id, status, amount_cents, currency FROM payments "
                "WHERE order_id = $1",
                oid,
            )
            assert [tuple(r) for r in payments] == [
                (f"pi_{p.hold_id}", "authorized", p.amount_cents, "EUR")
            ]
            ledger = await conn.fetch(
                "SELECT reason, delta_sold, delta_held FROM inventory_ledger WHERE ref = $1",
                p.order_id,
            )
            is_late = p.order_id in late
            assert [tuple(r) for r in ledger] == [
                ("late_sale", p.quantity, 0) if is_late else ("sale", p.quantity, -p.quantity)
            ]
            messages = await conn.fetch(
                "SELECT payload FROM outbox WHERE dedup_key = $1", f"order_confirmed:{p.order_id}"
            )
            assert len(messages) == 1
            payload = json.loads(messages[0]["payload"])
            assert payload["ticket_codes"] == [t["code"] for t in tickets]
            assert (payload["quantity"], payload["amount_cents"], payload["user_id"]) == (
                p.quantity,
                p.amount_cents,
                user_id,
            )
            hold = await conn.fetchrow(
                "SELECT status, quantity, amount_cents, ended_at FROM holds WHERE hold_id = $1",
                p.hold_id,
            )
            assert (hold["status"], hold["quantity"], hold["amount_cents"]) == (
                "converted",
                p.quantity,
                p.amount_cents,
            )
            assert hold["ended_at"] is not None
    finally:
        await conn.close()


async def test_orders_no_longer_pending_get_nothing_in_a_batch(
    api: Api, resources: Resources, settings: Settings
) -> None:
    """A cancelled or refunded order in a batch stays so, with no ticket, payment, ledger
    entry or message, and its seats are not counted sold; the others of the batch confirm."""
    event_id, user_id = await event_with(api, 100)
    purchases = [bought(event_id, user_id, 2) for _ in range(12)]
    settled = purchases[::3]
    async with resources.pool.acquire() as conn:
        for p in settled:
            await repo.insert_order(conn, p, f"pi_{p.hold_id}")
            assert await repo.cancel_order(conn, p.order_id, "payment_canceled", f"pi_{p.hold_id}")
    await asyncio.gather(*(confirm(resources, p) for p in purchases))
    live = len(purchases) - len(settled)
    assert await counts(settings.database_url, event_id) == (2 * live, live, 2 * live)
    conn = await asyncpg.connect(settings.database_url)
    try:
        ids = [uuid.UUID(p.order_id) for p in settled]
        refs = [p.order_id for p in settled]
        statuses = await conn.fetch("SELECT status FROM orders WHERE order_id = ANY($1)", ids)
        assert [r["status"] for r in statuses] == ["cancelled"] * len(settled)
        for table, where, arg in (
            ("tickets", "order_id = ANY($1)", ids),
            ("payments", "order_id = ANY($1)", ids),
            ("inventory_ledger", "ref = ANY($1)", refs),
            ("outbox", "kind = 'order_confirmed' AND payload->>'order_id' = ANY($1)", refs),
        ):
            assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {where}", arg) == 0
        converted = await conn.fetchval(
            "SELECT count(*) FROM holds WHERE status = 'converted' AND hold_id = ANY($1)",
            [p.hold_id for p in settled],
        )
        assert converted == 0
    finally:
        await conn.close()
