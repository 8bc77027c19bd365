"""Sale phases, codes, member lists and draw registrations in Postgres (named SQL blocks)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg
import msgspec

from app.core.db import Conn
from app.core.sql import queries
from app.phases.model import PhaseRecord, phase_from_row


def _u(value: str) -> uuid.UUID:
    return uuid.UUID(value)


async def insert_phase(conn: Conn, phase: PhaseRecord) -> PhaseRecord:
    row = await conn.fetchrow(
        queries.insert_phase,
        _u(phase.phase_id),
        _u(phase.event_id),
        phase.name,
        phase.opens_at,
        phase.closes_at,
        phase.audience,
        list(phase.sections) if phase.sections is not None else None,
        phase.max_per_user,
        msgspec.to_builtins(phase.room),
        phase.registration_closes_at,
        phase.codes_per_seat,
        phase.seed,
        phase.seed_sha256,
    )
    assert row is not None
    return phase_from_row(row)


async def event_phases(conn: Conn, event_id: str, *, lock: bool = False) -> list[PhaseRecord]:
    query = queries.lock_event_phases if lock else queries.event_phases
    return [phase_from_row(r) for r in await conn.fetch(query, _u(event_id))]


async def phase(conn: Conn, event_id: str, phase_id: str) -> PhaseRecord | None:
    row = await conn.fetchrow(queries.phase, _u(event_id), _u(phase_id))
    return phase_from_row(row) if row is not None else None


async def delete_phase(conn: Conn, event_id: str, phase_id: str) -> bool:
    return bool(await conn.execute(queries.delete_phase, _u(event_id), _u(phase_id)) != "DELETE 0")


async def insert_codes(
    conn: Conn,
    phase_id: str,
    codes: list[str],
    uses: list[int],
    source: str,
    owners: Sequence[str | None] | None = None,
) -> list[str]:
    """The codes written (a code already in the phase is skipped)."""
    owner_ids = [_u(o) if o else None for o in (owners or [None] * len(codes))]
    rows = await conn.fetch(
        queries.insert_phase_codes, _u(phase_id), codes, uses, source, owner_ids
    )
    return [r["code"] for r in rows]


async def codes(conn: Conn, phase_id: str) -> list[asyncpg.Record]:
    return list(await conn.fetch(queries.phase_codes, _u(phase_id)))


async def used_code(conn: Conn, phase_id: str, user_id: str) -> str | None:
    value: str | None = await conn.fetchval(queries.code_used_by, _u(phase_id), _u(user_id))
    return value


async def take_code_use(conn: asyncpg.Connection, phase_id: str, code: str, user_id: str) -> bool:
    """One use of `code` by this account, atomically; call inside a transaction.

    The UPDATE's row lock orders concurrent redeemers: the second sees the first's
    count. A repeat by the same account (racing itself) takes no second use.
    """
    taken = await conn.fetchval(queries.take_code_use, _u(phase_id), code, _u(user_id))
    if taken is None:
        return False
    return await conn.fetchval(queries.insert_code_use, _u(phase_id), code, _u(user_id)) is not None


async def replace_members(conn: asyncpg.Connection, phase_id: str, emails: list[str]) -> None:
    await conn.execute(queries.clear_phase_members, _u(phase_id))
    for i in range(0, len(emails), 10_000):
        await conn.execute(queries.insert_phase_members, _u(phase_id), emails[i : i + 10_000])


async def membership(conn: Conn, phase_id: str, user_id: str) -> bool | None:
    """None: the account's email is not on the list; else whether the address is verified."""
    verified: bool | None = await conn.fetchval(queries.is_phase_member, _u(phase_id), _u(user_id))
    return verified


async def figures(conn: Conn, event_id: str) -> dict[str, dict[str, int]]:
    rows = await conn.fetch(queries.phase_figures, _u(event_id))
    return {str(r["phase_id"]): {k: int(v) for k, v in r.items() if k != "phase_id"} for r in rows}


async def email_verified(conn: Conn, user_id: str) -> bool:
    return bool(await conn.fetchval(queries.user_email_verified, _u(user_id)))


async def register(
    conn: Conn, phase_id: str, user_id: str, quantity: int | None, section: str | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        queries.insert_registration, _u(phase_id), _u(user_id), quantity, section
    )


async def registration(conn: Conn, phase_id: str, user_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(queries.registration, _u(phase_id), _u(user_id))


async def registrant_identities(conn: Conn, phase_id: str) -> list[asyncpg.Record]:
    """Registrants by registration time, with phone and card fingerprints where known."""
    return list(await conn.fetch(queries.registrant_identities, _u(phase_id)))


async def drawn_registrants(conn: Conn, phase_id: str) -> list[str]:
    return [str(r["user_id"]) for r in await conn.fetch(queries.drawn_registrants, _u(phase_id))]


async def draw(conn: Conn, phase_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(queries.phase_draw, _u(phase_id))


async def insert_draw(
    conn: Conn, phase_id: str, registrations: int, digest: str, winners: int
) -> bool:
    done = await conn.fetchval(
        queries.insert_phase_draw, _u(phase_id), registrations, digest, winners
    )
    return done is not None


async def set_outcomes(
    conn: Conn, phase_id: str, rows: list[tuple[str, str, int | None, str | None]]
) -> None:
    for i in range(0, len(rows), 10_000):
        chunk = rows[i : i + 10_000]
        await conn.execute(
            queries.set_registration_outcomes,
            _u(phase_id),
            [_u(u) for u, _, _, _ in chunk],
            [o for _, o, _, _ in chunk],
            [k for _, _, k, _ in chunk],
            [c for _, _, _, c in chunk],
        )


async def unused_draw_codes(conn: Conn, phase_id: str) -> list[str]:
    return [r["code"] for r in await conn.fetch(queries.unused_draw_codes, _u(phase_id))]


async def void_codes(conn: Conn, phase_id: str, codes_: list[str]) -> int:
    return len(await conn.fetch(queries.void_codes, _u(phase_id), codes_))


async def next_listed(conn: Conn, phase_id: str, limit: int) -> list[tuple[str, int]]:
    rows = await conn.fetch(queries.next_listed, _u(phase_id), limit)
    return [(str(r["user_id"]), int(r["rank"])) for r in rows]


async def drawn_order(conn: Conn, phase_id: str) -> list[str]:
    return [str(r["user_id"]) for r in await conn.fetch(queries.drawn_registrations, _u(phase_id))]


async def insert_draw_messages(
    conn: Conn, phase: PhaseRecord, winners: Sequence[str], codes: Sequence[str]
) -> None:
    """The outbox messages that send each winner its code (email, in the fan's language)."""
    await conn.execute(
        queries.insert_draw_messages,
        phase.phase_id,
        phase.event_id,
        phase.name,
        phase.opens_at.isoformat(),
        phase.closes_at.isoformat(),
        [_u(u) for u in winners],
        list(codes),
    )


async def insert_draw_outcome_messages(
    conn: Conn, phase: PhaseRecord, listed: Sequence[str], duplicates: Sequence[str]
) -> None:
    """The outbox messages of the draw's other registrants, in its transaction: each account
    on the list with its place (1: next when a code goes unused), each set aside."""
    kinds = ["draw_listed"] * len(listed) + ["draw_not_drawn"] * len(duplicates)
    users = [*listed, *duplicates]
    places: list[int | None] = [*range(1, len(listed) + 1), *([None] * len(duplicates))]
    await conn.execute(
        queries.insert_draw_outcome_messages,
        phase.phase_id,
        phase.event_id,
        phase.name,
        phase.opens_at.isoformat(),
        phase.closes_at.isoformat(),
        kinds,
        [_u(u) for u in users],
        places,
    )


async def queue_draw(conn: Conn, phase_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(queries.phase_queue_draw, _u(phase_id))


async def insert_queue_draw(
    conn: asyncpg.Connection, phase_id: str, boundary: int, entrants: list[tuple[str, int]]
) -> None:
    """Seal a phase's pre-queue once; call inside a transaction."""
    if await conn.fetchval(queries.insert_phase_queue_draw, _u(phase_id), boundary, len(entrants)):
        for i in range(0, len(entrants), 10_000):
            chunk = entrants[i : i + 10_000]
            await conn.execute(
                queries.insert_phase_queue_entrants,
                _u(phase_id),
                [_u(u) for u, _ in chunk],
                [s for _, s in chunk],
            )


async def queue_entrants(conn: Conn, phase_id: str) -> list[tuple[str, int]]:
    rows = await conn.fetch(queries.phase_queue_entrants, _u(phase_id))
    return [(str(r["user_id"]), int(r["arrival_seq"])) for r in rows]


async def sold_per_account(conn: Conn, event_id: str) -> dict[str, int]:
    rows = await conn.fetch(queries.sold_per_account, _u(event_id))
    return {str(r["user_id"]): int(r["sold"]) for r in rows}
