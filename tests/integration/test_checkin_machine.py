"""A hypothesis state machine over every way a ticket moves at the door, against a real
Postgres: scans in and out online, offline scans uploaded later by several devices, voids
(a refund's statement), conflict resolution, on a list without re-entry and one with it.

A model predicts every answer; after every step the record agrees with it and:

- a ticket is admitted at most once per list without re-entry (its admitted scans);
- a voided ticket is never admitted online after its void;
- a conflict refuses the ticket until resolved;
- the entry state (inside) is the model's.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

import asyncpg
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as run_settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from app.core.db import create_pool
from app.core.errors import AppError
from app.core.ids import new_id
from app.core.security import Principal
from app.core.settings import Settings
from app.events import repo as events_repo
from app.events.model import EventRecord, SectionRecord, WaitingRoomSettings
from app.orders import repo as orders_repo
from app.orders.confirm import write_confirmed
from app.orders.purchase import Purchase, order_id_for
from app.orgs import repo as orgs_repo
from app.tickets import checkin, codes, keys, service
from app.tickets import repo as tickets_repo
from app.tickets.schemas import CheckinIn, OfflineScan, SyncIn

T = TypeVar("T")
TICKETS = 4
DEVICES = ("d1", "d2", "d3")
GATES = ("A", "B")
LISTS = ("plain", "reentry")


@dataclass
class Entry:
    """The model's entry state of one ticket on one list."""

    admitted: bool = False  # ever admitted (on a list without re-entry: never again)
    inside: bool = False
    conflict: bool = False


@dataclass
class Ticket:
    ticket_id: str
    order_id: str
    code: str
    secret: bytes
    voided: bool = False
    entries: dict[str, Entry] = field(default_factory=lambda: {n: Entry() for n in LISTS})


class CheckinMachine(RuleBasedStateMachine):
    settings: ClassVar[Settings]
    loop: ClassVar[asyncio.AbstractEventLoop]
    pool: ClassVar[asyncpg.Pool]

    def __init__(self) -> None:
        super().__init__()
        self.offline: dict[str, list[tuple[int, str, datetime]]] = {d: [] for d in DEVICES}
        self.clock = datetime.now(UTC) - timedelta(minutes=30)
        self.run(self._setup())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    async def _setup(self) -> None:
        pool, now = self.pool, datetime.now(UTC)
        user_id = new_id()
        await pool.execute(
            "INSERT INTO users (user_id, email, password_hash) VALUES ($1, $2, 'x')",
            uuid.UUID(user_id),
            f"m-{user_id}@example.com",
        )
        self.event_id = new_id()
        self.admin = Principal(user_id=user_id, roles=("fan", "admin"))
        # Every event belongs to an organization: this account owns one.
        org_id = new_id()
        await orgs_repo.insert_org(pool, org_id, "Machine")
        await orgs_repo.upsert_member(pool, org_id, user_id, "owner")
        event = EventRecord(
            event_id=self.event_id,
            organizer_id=user_id,
            status="published",
            name="Machine",
            venue="Hall",
            starts_at=now + timedelta(days=2),
            timezone="UTC",
            onsale_at=now - timedelta(days=1),
            offsale_at=now + timedelta(days=1),
            currency="EUR",
            hold_ttl_s=600,
            max_per_order=6,
            max_per_user=6,
            waiting_room=WaitingRoomSettings(enabled=False),
            fairness_seed="s",
            fairness_seed_sha256="h",
            sections=(SectionRecord("FLOOR", "Floor", 100, 100, 0),),
            org_id=org_id,
        )
        await events_repo.insert_event(pool, event)
        default = await tickets_repo.default_list(pool, self.event_id)
        assert default is not None
        reentry = await tickets_repo.insert_list(
            pool, new_id(), self.event_id, "Re-entry", None, True
        )
        self.list_ids = {"plain": str(default["list_id"]), "reentry": str(reentry["list_id"])}
        self.tickets: list[Ticket] = []
        for _ in range(TICKETS):
            hold_id = new_id()
            purchase = Purchase(
                hold_id=hold_id,
                event_id=self.event_id,
                order_id=order_id_for(hold_id),
                user_id=user_id,
                section="FLOOR",
                quantity=1,
                amount_cents=100,
                currency="EUR",
            )
            await write_confirmed(pool, self.settings, purchase, f"pi_{hold_id}", None, late=False)
            row = await pool.fetchrow(
                "SELECT ticket_id, code, kid FROM tickets WHERE order_id = $1",
                uuid.UUID(purchase.order_id),
            )
            signer = await keys.signer_of(pool, self.settings, self.event_id, row["kid"])
            assert signer is not None
            self.tickets.append(
                Ticket(
                    str(row["ticket_id"]),
                    purchase.order_id,
                    row["code"],
                    signer.rotation_secret(row["code"]),
                )
            )

    def live(self, t: Ticket) -> str:
        return codes.rotating_code(t.code, t.secret, time.time())

    # --- rules ---------------------------------------------------------------------------

    @rule(i=st.integers(0, TICKETS - 1), lst=st.sampled_from(LISTS), gate=st.sampled_from(GATES))
    def scan_in(self, i: int, lst: str, gate: str) -> None:
        t = self.tickets[i]
        entry = t.entries[lst]
        body = CheckinIn(code=self.live(t), gate=gate, list_id=self.list_ids[lst])
        out = self.run(checkin.scan(self.pool, self.settings, self.admin, body))
        if t.voided:
            expected = "void"
        elif entry.conflict:
            expected = "already_in"
        elif not entry.inside and (not entry.admitted or lst == "reentry"):
            expected = "admitted"
        else:
            expected = "already_in"
        assert out.result == expected, (out, entry, t.voided)
        assert out.conflict == (expected == "already_in" and entry.conflict)
        if expected == "admitted":
            entry.admitted = entry.inside = True

    @rule(i=st.integers(0, TICKETS - 1), gate=st.sampled_from(GATES))
    def scan_out(self, i: int, gate: str) -> None:
        t = self.tickets[i]
        entry = t.entries["reentry"]
        body = CheckinIn(
            code=self.live(t), gate=gate, list_id=self.list_ids["reentry"], direction="out"
        )
        out = self.run(checkin.scan(self.pool, self.settings, self.admin, body))
        if t.voided:
            expected = "void"
        elif entry.inside and not entry.conflict:
            expected = "exited"
        else:
            expected = "not_inside"
        assert out.result == expected, (out, entry)
        if expected == "exited":
            entry.inside = False

    @rule(i=st.integers(0, TICKETS - 1), device=st.sampled_from(DEVICES))
    def scan_offline(self, i: int, device: str) -> None:
        """A device offline lets the ticket in on its own (it cannot know about the others)."""
        self.clock += timedelta(seconds=1)
        t = self.tickets[i]
        # The code the app showed then (the server checks its digits at the scan's time).
        shown = codes.rotating_code(t.code, t.secret, self.clock.timestamp())
        self.offline[device].append((i, shown, self.clock))

    @rule(device=st.sampled_from(DEVICES), lst=st.sampled_from(LISTS))
    def sync(self, device: str, lst: str) -> None:
        queued, self.offline[device] = self.offline[device], []
        body = SyncIn(
            device_id=device,
            list_id=self.list_ids[lst],
            scans=[
                OfflineScan(code=code, gate="G", scanned_at=at, local_result="admitted")
                for _, code, at in queued
            ],
        )
        out = self.run(checkin.sync(self.pool, self.settings, self.admin, body))
        assert len(out.results) == len(queued)
        for (i, _, _), result in zip(queued, out.results, strict=True):
            t = self.tickets[i]
            entry = t.entries[lst]
            if t.voided:
                assert (result.result, result.conflict) == ("void", False)
                continue
            if entry.conflict:
                assert (result.result, result.conflict) == ("already_in", True)
            elif not entry.admitted or (lst == "reentry" and not entry.inside):
                assert (result.result, result.conflict) == ("admitted", False)
                entry.admitted = entry.inside = True
            else:
                assert (result.result, result.conflict) == ("already_in", True)
                entry.conflict = True

    @rule(i=st.integers(0, TICKETS - 1))
    def void(self, i: int) -> None:
        """A refund voids the ticket (the refund job's own statement)."""
        t = self.tickets[i]

        async def go() -> None:
            async with self.pool.acquire() as conn:
                await orders_repo.void_tickets(conn, t.order_id)

        self.run(go())
        t.voided = True

    @rule(i=st.integers(0, TICKETS - 1))
    def resolve(self, i: int) -> None:
        t = self.tickets[i]
        open_conflict = any(e.conflict for e in t.entries.values())
        resolving = service.resolve(self.pool, self.admin, self.event_id, t.ticket_id)
        if not open_conflict:
            with pytest.raises(AppError) as err:
                self.run(resolving)
            assert err.value.code == "not_found"
            return
        self.run(resolving)
        for e in t.entries.values():
            e.conflict = False

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def once_per_list_and_never_void(self) -> None:
        rows = self.run(
            self.pool.fetch(
                "SELECT s.list_id, s.ticket_id, count(*) AS n,"
                " count(*) FILTER (WHERE NOT s.offline AND t.voided_at IS NOT NULL"
                "                  AND s.received_at > t.voided_at) AS after_void"
                " FROM checkin_scans s JOIN tickets t USING (ticket_id)"
                " WHERE s.event_id = $1 AND s.result = 'admitted'"
                " GROUP BY s.list_id, s.ticket_id",
                uuid.UUID(self.event_id),
            )
        )
        for r in rows:
            assert r["after_void"] == 0, dict(r)
            if str(r["list_id"]) == self.list_ids["plain"]:
                assert r["n"] == 1, dict(r)

    @invariant()
    def entry_state_is_the_models(self) -> None:
        rows = self.run(
            self.pool.fetch(
                "SELECT list_id, ticket_id, inside, conflict FROM checkin_state"
                " WHERE event_id = $1",
                uuid.UUID(self.event_id),
            )
        )
        seen = {(str(r["list_id"]), str(r["ticket_id"])): r for r in rows}
        for t in self.tickets:
            for name, entry in t.entries.items():
                row = seen.get((self.list_ids[name], t.ticket_id))
                if not entry.admitted:
                    assert row is None
                    continue
                assert row is not None
                assert (row["inside"], row["conflict"]) == (entry.inside, entry.conflict)


@pytest.mark.slow
def test_checkin_state_machine(settings: Settings) -> None:
    loop = asyncio.new_event_loop()
    CheckinMachine.settings = settings
    CheckinMachine.loop = loop
    CheckinMachine.pool = loop.run_until_complete(create_pool(settings.database_url, size=4))
    try:
        run_state_machine_as_test(
            CheckinMachine,
            settings=run_settings(
                max_examples=40,
                stateful_step_count=30,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        loop.run_until_complete(CheckinMachine.pool.close())
        loop.close()
