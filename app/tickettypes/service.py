"""Ticket types within a section: create, change, delete, list; free of HTTP.

The record (Postgres) keeps each type's rules; the event's types hash in Redis carries
them too, with each type's counters (quota, available, held, sold), which only the hold
scripts move: a hold checks and takes every one of its lines in the same script call that
takes its seats (lua/reserve_seats.lua), and every way a hold or order ends moves them back
(lua/_types.lua). A section with no types sells as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import asyncpg
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import now_ms, to_epoch_ms
from app.core.errors import AppError, invalid, not_found
from app.core.i18n import N_
from app.core.scripts import Scripts
from app.core.security import Principal
from app.events import access
from app.events import service as events
from app.events.model import EventRecord
from app.tickettypes import repo
from app.tickettypes.model import TicketTypeRecord
from app.tickettypes.schemas import TicketType, TicketTypeIn, TicketTypeList, TypeState


def type_exists(code: str) -> AppError:
    return AppError(
        "type_exists",
        409,
        "Type exists",
        N_("This section already has the ticket type {type}"),
        params={"type": code},
    )


def type_in_use(code: str) -> AppError:
    return AppError(
        "type_in_use",
        409,
        "Type in use",
        N_("Tickets of type {type} are held or sold, or another type needs it as companion"),
        params={"type": code},
    )


def quota_below_committed(code: str, committed: int) -> AppError:
    return AppError(
        "quota_below_committed",
        409,
        "Tickets are committed",
        N_("Type {type} has {committed} tickets held or sold: its quota cannot be lower"),
        params={"type": code, "committed": committed},
    )


def section_seated(section: str) -> AppError:
    return AppError(
        "section_seated",
        409,
        "Section is seated",
        N_("Section {section} has a seat map: its seat categories set its prices"),
        params={"section": section},
    )


async def _put(
    scripts: Scripts,
    t: TicketTypeRecord,
    op: str,
    codes: Iterable[str],
    *,
    sold: int = 0,
    held: int = 0,
) -> tuple[int, int, int, int]:
    """put_ticket_type.lua: (code, available, held, sold)."""
    out = await scripts.run(
        "put_ticket_type",
        keys=[keys.ticket_types(t.event_id)],
        args=[op, t.section, t.code, t.quota, sold, held, ",".join(codes), *t.settings()],
    )
    code, available, held_now, sold_now = (int(v) for v in out)
    return code, available, held_now, sold_now


def _check(
    event: EventRecord, section: str, code: str, data: TicketTypeIn, others: set[str]
) -> None:
    found = next((s for s in event.sections if s.code == section), None)
    if found is None:
        raise not_found("Section")
    if found.seated:
        raise section_seated(section)
    if data.quota > found.capacity:
        raise invalid("quota", f"at most the section's capacity ({found.capacity})")
    if data.opens_at and data.closes_at and data.opens_at >= data.closes_at:
        raise invalid("closes_at", "closes_at must be after opens_at")
    if data.companion is not None:
        companion = data.companion.upper()
        if companion == code:
            raise invalid("companion", "a type cannot be its own companion")
        if companion not in others:
            raise invalid("companion", f"no ticket type {companion!r} in this section")


def _record(event_id: str, section: str, code: str, data: TicketTypeIn) -> TicketTypeRecord:
    return TicketTypeRecord(
        event_id=event_id,
        section=section,
        code=code,
        name=data.name.strip(),
        price_cents=data.price_cents,
        quota=data.quota,
        max_per_order=data.max_per_order,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        companion=data.companion.upper() if data.companion else None,
    )


def _codes(types: list[TicketTypeRecord], section: str) -> list[str]:
    return [t.code for t in types if t.section == section]


async def create(
    pool: asyncpg.Pool,
    scripts: Scripts,
    principal: Principal,
    event_id: str,
    section: str,
    data: TicketTypeIn,
) -> TicketType:
    code = data.code.upper()
    async with pool.acquire() as conn, conn.transaction():
        event = await events.get_managed_event(conn, principal, event_id)
        if not await repo.lock_section(conn, event.event_id, section):
            raise not_found("Section")
        existing = _codes(await repo.of_event(conn, event.event_id), section)
        _check(event, section, code, data, set(existing))
        record = await repo.insert(conn, _record(event.event_id, section, code, data))
        if record is None:
            raise type_exists(code)
        # Written before the commit, under the section's lock: a type the hold script knows
        # and the record lost would sell tickets nobody can see; the other way round only
        # delays the type.
        _, available, held, sold = await _put(scripts, record, "put", [*existing, code])
    return _present(record, available, available, held, sold, now_ms(), organizer=True)


async def replace(
    pool: asyncpg.Pool,
    scripts: Scripts,
    principal: Principal,
    event_id: str,
    section: str,
    code: str,
    data: TicketTypeIn,
) -> TicketType:
    """The type's settings replaced (the code in the path stays its code)."""
    code = code.upper()
    async with pool.acquire() as conn, conn.transaction():
        event = await events.get_managed_event(conn, principal, event_id)
        if not await repo.lock_section(conn, event.event_id, section):
            raise not_found("Section")
        if await repo.for_update(conn, event.event_id, section, code) is None:
            raise not_found("Ticket type")
        existing = _codes(await repo.of_event(conn, event.event_id), section)
        _check(event, section, code, data, set(existing))
        record = await repo.update(conn, _record(event.event_id, section, code, data))
        if record is None:
            raise not_found("Ticket type")
        result, available, held, sold = await _put(scripts, record, "put", existing)
        if result == -1:
            raise quota_below_committed(code, held + sold)
    return _present(record, available, available, held, sold, now_ms(), organizer=True)


async def remove(
    pool: asyncpg.Pool,
    scripts: Scripts,
    principal: Principal,
    event_id: str,
    section: str,
    code: str,
) -> None:
    """Only a type with nothing held or sold, that no other type needs as its companion."""
    code = code.upper()
    async with pool.acquire() as conn, conn.transaction():
        event = await events.get_managed_event(conn, principal, event_id)
        if not await repo.lock_section(conn, event.event_id, section):
            raise not_found("Section")
        record = await repo.for_update(conn, event.event_id, section, code)
        if record is None:
            raise not_found("Ticket type")
        if await repo.companions_of(conn, event.event_id, section, code):
            raise type_in_use(code)
        if (await repo.sold_by_type(conn, event.event_id)).get((section, code)):
            raise type_in_use(code)
        rest = [c for c in _codes(await repo.of_event(conn, event.event_id), section) if c != code]
        result, *_ = await _put(scripts, record, "delete", rest)
        if result != 1:
            raise type_in_use(code)
        await repo.delete(conn, event.event_id, section, code)


def _state(t: TicketTypeRecord, available: int, now: int) -> TypeState:
    if t.opens_at is not None and now < to_epoch_ms(t.opens_at):
        return "not_yet"
    if t.closes_at is not None and now >= to_epoch_ms(t.closes_at):
        return "closed"
    return "on_sale" if available > 0 else "sold_out"


def _present(
    t: TicketTypeRecord,
    available: int,
    type_available: int,
    held: int,
    sold: int,
    now: int,
    *,
    organizer: bool,
) -> TicketType:
    shown = max(0, min(available, type_available))
    return TicketType(
        section=t.section,
        code=t.code,
        name=t.name,
        price_cents=t.price_cents,
        quota=t.quota,
        available=shown,
        state=_state(t, shown, now),
        max_per_order=t.max_per_order,
        opens_at=t.opens_at,
        closes_at=t.closes_at,
        companion=t.companion,
        held=held if organizer else None,
        sold=sold if organizer else None,
    )


async def list_types(
    pool: asyncpg.Pool, redis: Redis, principal: Principal | None, event_id: str
) -> TicketTypeList:
    """Every type of the event with what a fan can hold of it now (public); its organizers
    also see each type's held and sold tickets."""
    event = await events.get_visible_event(pool, principal, event_id)
    organizer = principal is not None and await access.may(pool, principal, event, "read")
    types = await repo.of_event(pool, event.event_id)
    if not types:
        return TicketTypeList(currency=event.currency, items=[])
    fields = []
    for t in types:
        f = f"{t.section}/{t.code}:"
        fields += [f + "available", f + "held", f + "sold"]
    values: list[str | None] = await redis.hmget(keys.ticket_types(event.event_id), fields)  # type: ignore[misc]
    sections = [s.code for s in event.sections]
    section_left: list[str | None] = await redis.hmget(  # type: ignore[misc]
        keys.inventory(event.event_id), [f"{code}:available" for code in sections]
    )
    by_section = {s.code: s.capacity - s.sold for s in event.sections}
    for code, left in zip(sections, section_left, strict=True):
        if left is not None:
            by_section[code] = int(left)
    now = now_ms()
    items = []
    for i, t in enumerate(types):
        available, held, sold = (values[3 * i + k] for k in range(3))
        type_available = int(available) if available is not None else t.quota
        items.append(
            _present(
                t,
                by_section.get(t.section, 0),
                type_available,
                int(held or 0),
                int(sold or 0),
                now,
                organizer=organizer,
            )
        )
    return TicketTypeList(currency=event.currency, items=items)


def held_by_type(holds: Iterable[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """Tickets per (section, type) of live holds given as (section, lines)."""
    out: Counter[tuple[str, str]] = Counter()
    for section, lines in holds:
        for item in lines.split(","):
            parts = item.split(":")
            if len(parts) >= 2 and parts[1].isdigit():
                out[(section, parts[0])] += int(parts[1])
    return out


async def restore(
    pool: asyncpg.Pool, scripts: Scripts, event_id: str, held: Counter[tuple[str, str]]
) -> int:
    """Every type's rules and counters from the record (sold: its live tickets; held: the
    live holds'), after Redis lost them or they drifted with no hold in doubt; the types
    restored."""
    types = await repo.of_event(pool, event_id)
    sold = await repo.sold_by_type(pool, event_id)
    for t in types:
        await _put(
            scripts,
            t,
            "restore",
            _codes(types, t.section),
            sold=sold.get((t.section, t.code), 0),
            held=held.get((t.section, t.code), 0),
        )
    return len(types)


async def drift(pool: asyncpg.Pool, redis: Redis, event_id: str) -> dict[str, int]:
    """Per 'section/TYPE', how far Redis is from the record: |sold - record's sold| +
    |available + held + sold - quota| + |quota - record's quota|; only types that differ.
    Redis's held tickets are the live holds' (the ledger lags them), as for sections."""
    types = await repo.of_event(pool, event_id)
    if not types:
        return {}
    sold = await repo.sold_by_type(pool, event_id)
    fields = []
    for t in types:
        f = f"{t.section}/{t.code}:"
        fields += [f + "quota", f + "available", f + "held", f + "sold"]
    values: list[str | None] = await redis.hmget(keys.ticket_types(event_id), fields)  # type: ignore[misc]
    out: dict[str, int] = {}
    for i, t in enumerate(types):
        quota, available, held_now, sold_now = (int(values[4 * i + k] or 0) for k in range(4))
        if values[4 * i] is None:
            out[f"{t.section}/{t.code}"] = t.quota or 1
            continue
        diff = (
            abs(sold_now - sold.get((t.section, t.code), 0))
            + abs(available + held_now + sold_now - quota)
            + abs(quota - t.quota)
        )
        if diff:
            out[f"{t.section}/{t.code}"] = diff
    return out
