"""Sale phases: create and check phases, codes, member lists, the registration draw."""

from __future__ import annotations

import csv
import io
import math
import re
import secrets
from datetime import datetime

import asyncpg
from redis.asyncio import Redis

from app.core.clock import utcnow
from app.core.csvsafe import safe_cell
from app.core.errors import AppError, FieldError, invalid_fields, not_found
from app.core.i18n import N_
from app.core.ids import new_id
from app.core.security import Principal
from app.events import access
from app.events import service as events
from app.events.model import EventRecord
from app.events.service import new_fairness_seed
from app.phases import cache, draw, repo
from app.phases.figures import room_figures
from app.phases.model import PhaseRecord, overlaps
from app.phases.schemas import (
    DrawReport,
    Phase,
    PhaseFigures,
    PhaseIn,
    Refill,
    Registration,
    RegistrationIn,
)

CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{4,64}")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed on phones


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_code(code: str) -> str:
    return code.strip().upper()


def present(phase: PhaseRecord, now: datetime, figures: PhaseFigures | None = None) -> Phase:
    return Phase(
        phase_id=phase.phase_id,
        event_id=phase.event_id,
        name=phase.name,
        opens_at=phase.opens_at,
        closes_at=phase.closes_at,
        audience=phase.audience,  # type: ignore[arg-type]
        state=phase.state(now),  # type: ignore[arg-type]
        sections=list(phase.sections) if phase.sections is not None else None,
        max_per_user=phase.max_per_user,
        room=phase.room,
        registration_closes_at=phase.registration_closes_at,
        codes_per_seat=phase.codes_per_seat,
        seed_sha256=phase.seed_sha256,
        seed=phase.seed if phase.seed_revealed(now) else None,
        figures=figures,
    )


def phase_overlap(other: PhaseRecord) -> AppError:
    return AppError(
        "phase_overlap",
        422,
        "Phases overlap",
        N_(
            "This phase's window overlaps {name}, which has the same audience: "
            "phases may overlap only when their audiences differ"
        ),
        errors=[
            FieldError(
                field="opens_at",
                message=f"overlaps phase {other.phase_id} ({other.name}) of the same audience",
                rule="overlap",
            )
        ],
        params={"name": other.name},
    )


def _validate(event: EventRecord, data: PhaseIn) -> None:
    errors: list[FieldError] = []
    for name in ("opens_at", "closes_at", "registration_closes_at"):
        value = getattr(data, name)
        if value is not None and value.utcoffset() is None:
            errors.append(FieldError(field=name, message="must include a UTC offset"))
    if errors:
        raise invalid_fields(errors)
    if data.closes_at <= data.opens_at:
        errors.append(FieldError(field="closes_at", message="must be after opens_at"))
    known = {s.code for s in event.sections}
    for i, code in enumerate(data.sections or []):
        if code not in known:
            errors.append(FieldError(field=f"sections[{i}]", message=f"no section {code}"))
    if data.max_per_user is not None and data.max_per_user > event.max_per_user:
        errors.append(
            FieldError(field="max_per_user", message="may not exceed the event's max_per_user")
        )
    if data.registration_closes_at is not None:
        if data.audience != "draw":
            errors.append(
                FieldError(field="registration_closes_at", message="only draws take registrations")
            )
        elif data.registration_closes_at > data.opens_at:
            errors.append(
                FieldError(field="registration_closes_at", message="must be no later than opens_at")
            )
    if errors:
        raise invalid_fields(errors)


async def create_phase(
    pool: asyncpg.Pool, principal: Principal, event_id: str, data: PhaseIn
) -> PhaseRecord:
    """A new phase; 422 phase_overlap when its window overlaps one of the same audience."""
    async with pool.acquire() as conn, conn.transaction():
        event = await events.get_managed_event(
            conn, principal, event_id, for_update=True, need="edit"
        )
        _validate(event, data)
        seed, seed_sha256 = new_fairness_seed()
        phase = PhaseRecord(
            phase_id=new_id(),
            event_id=event.event_id,
            name=data.name,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            audience=data.audience,
            sections=tuple(data.sections) if data.sections is not None else None,
            max_per_user=data.max_per_user,
            room=data.room,
            registration_closes_at=data.registration_closes_at,
            codes_per_seat=data.codes_per_seat,
            seed=seed,
            seed_sha256=seed_sha256,
        )
        for other in await repo.event_phases(conn, event.event_id, lock=True):
            if other.audience == phase.audience and overlaps(other, phase):
                raise phase_overlap(other)
        created = await repo.insert_phase(conn, phase)
    cache.forget(event.event_id)
    return created


async def list_phases(
    pool: asyncpg.Pool, redis: Redis, principal: Principal | None, event_id: str
) -> list[Phase]:
    """The event's phases (public); its team's members who may read also see each phase's
    figures."""
    event = await events.get_visible_event(pool, principal, event_id)
    phases = await repo.event_phases(pool, event.event_id)
    now = utcnow()
    if principal is None or not await access.may(pool, principal, event, "read"):
        return [present(p, now) for p in phases]
    figures = await repo.figures(pool, event.event_id)
    room = await room_figures(pool, redis, event.event_id)
    return [
        present(
            p,
            now,
            PhaseFigures(**figures.get(p.phase_id, {}), **room.get(p.phase_id, {})),
        )
        for p in phases
    ]


async def managed_phase(
    pool: asyncpg.Pool | asyncpg.Connection,
    principal: Principal,
    event_id: str,
    phase_id: str,
    *,
    need: str = "edit",
) -> tuple[EventRecord, PhaseRecord]:
    """The phase of an event whose organization gives the caller a role allowing `need`
    (edit: change the phase, its codes, list and draw; read: its proofs)."""
    event = await events.get_managed_event(pool, principal, event_id, need=need)
    phase = await repo.phase(pool, event.event_id, phase_id)
    if phase is None:
        raise not_found("Phase")
    return event, phase


async def visible_phase(
    pool: asyncpg.Pool, principal: Principal | None, event_id: str, phase_id: str
) -> tuple[EventRecord, PhaseRecord]:
    event = await events.get_visible_event(pool, principal, event_id)
    phase = await repo.phase(pool, event.event_id, phase_id)
    if phase is None:
        raise not_found("Phase")
    return event, phase


async def delete_phase(
    pool: asyncpg.Pool, principal: Principal, event_id: str, phase_id: str
) -> None:
    event, phase = await managed_phase(pool, principal, event_id, phase_id)
    await repo.delete_phase(pool, event.event_id, phase.phase_id)
    cache.forget(event.event_id)


def _needs(phase: PhaseRecord, *audiences: str) -> None:
    if phase.audience not in audiences:
        raise AppError(
            "wrong_audience",
            409,
            "Not for this phase",
            N_("This is for phases whose audience is {wanted}; this phase's is {audience}"),
            params={"wanted": " or ".join(audiences), "audience": phase.audience},
        )


async def generate_codes(
    pool: asyncpg.Pool, principal: Principal, event_id: str, phase_id: str, count: int, uses: int
) -> list[str]:
    _, phase = await managed_phase(pool, principal, event_id, phase_id)
    _needs(phase, "code")
    made: list[str] = []
    while len(made) < count:  # a collision (1 in 32^12) is simply drawn again
        batch = [new_code() for _ in range(count - len(made))]
        made += await repo.insert_codes(
            pool, phase.phase_id, batch, [uses] * len(batch), "generated"
        )
    return made


async def import_codes(
    pool: asyncpg.Pool,
    principal: Principal,
    event_id: str,
    phase_id: str,
    codes: list[str],
    uses: int,
) -> tuple[int, int]:
    """(imported, skipped: already in the phase or repeated) of organizer-supplied codes."""
    _, phase = await managed_phase(pool, principal, event_id, phase_id)
    _needs(phase, "code")
    bad = [c for c in codes if not CODE_SHAPE.fullmatch(c.strip())]
    if not codes or bad:
        raise invalid_fields(
            [FieldError(field="codes", message=f"no codes, or not codes: {bad[:3]}")]
        )
    unique = list(dict.fromkeys(normalize_code(c) for c in codes))
    written = await repo.insert_codes(
        pool, phase.phase_id, unique, [uses] * len(unique), "imported"
    )
    return len(written), len(codes) - len(written)


def parse_code_csv(text: str) -> tuple[list[str], int | None]:
    """Codes (first column) of a CSV, with its `uses` column when there is one."""
    rows = [r for r in csv.reader(io.StringIO(text)) if r and r[0].strip()]
    uses: int | None = None
    if rows and rows[0][0].strip().lower() == "code":
        header = [h.strip().lower() for h in rows[0]]
        rows = rows[1:]
        if "uses" in header and rows:
            col = header.index("uses")
            try:
                uses = max(int(r[col]) for r in rows if len(r) > col and r[col].strip())
            except ValueError:
                raise invalid_fields([FieldError(field="uses", message="not a number")]) from None
    return [r[0].strip().lstrip("'") for r in rows], uses


async def export_codes(
    pool: asyncpg.Pool, principal: Principal, event_id: str, phase_id: str
) -> str:
    # Edit, not read: an unused code is a way in, so a viewer may count codes, not hold them.
    _, phase = await managed_phase(pool, principal, event_id, phase_id, need="edit")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "uses", "used", "source", "bound_to", "voided_at", "created_at"])
    for r in await repo.codes(pool, phase.phase_id):
        writer.writerow(
            [
                safe_cell(r["code"]),
                r["uses"],
                r["used"],
                r["source"],
                str(r["owner_id"] or ""),
                r["voided_at"].isoformat() if r["voided_at"] else "",
                r["created_at"].isoformat(),
            ]
        )
    return out.getvalue()


def parse_member_csv(text: str) -> list[str]:
    """Emails of a CSV: the `email` column when there is a header, else the first column."""
    rows = [r for r in csv.reader(io.StringIO(text)) if r]
    col = 0
    if rows and any(h.strip().lower() == "email" for h in rows[0]):
        col = [h.strip().lower() for h in rows[0]].index("email")
        rows = rows[1:]
    emails = [r[col].strip().lower() for r in rows if len(r) > col and "@" in r[col]]
    return list(dict.fromkeys(emails))


async def replace_members(
    pool: asyncpg.Pool, principal: Principal, event_id: str, phase_id: str, emails: list[str]
) -> int:
    _, phase = await managed_phase(pool, principal, event_id, phase_id)
    _needs(phase, "list")
    clean = list(dict.fromkeys(e.strip().lower() for e in emails if "@" in e))
    async with pool.acquire() as conn, conn.transaction():
        await repo.replace_members(conn, phase.phase_id, clean)
    return len(clean)


# --- the registration draw ----------------------------------------------------------


def _registration(phase: PhaseRecord, row: asyncpg.Record) -> Registration:
    return Registration(
        phase_id=phase.phase_id,
        state=row["outcome"] or "registered",
        quantity=row["quantity"],
        section=row["section"],
        code=row["code"],
        rank=row["rank"] if row["outcome"] == "listed" else None,
        opens_at=phase.opens_at,
        closes_at=phase.closes_at,
    )


async def register(
    pool: asyncpg.Pool, principal: Principal, event_id: str, phase_id: str, data: RegistrationIn
) -> tuple[Registration, bool]:
    """(registration, created) of a fan for a draw, before its deadline; one per account,
    and only accounts whose email is verified (one person, one chance)."""
    event, phase = await visible_phase(pool, principal, event_id, phase_id)
    _needs(phase, "draw")
    if utcnow() >= phase.registration_end():
        raise AppError(
            "registration_closed", 409, "Registration closed", "The draw's registration has closed"
        )
    if data.section is not None and event.section(data.section) is None:
        raise invalid_fields([FieldError(field="section", message=f"no section {data.section}")])
    if data.quantity is not None and data.quantity > (phase.max_per_user or event.max_per_user):
        raise invalid_fields([FieldError(field="quantity", message="above the phase's limit")])
    if not await repo.email_verified(pool, principal.user_id):
        raise AppError(
            "email_unverified",
            403,
            "Email not verified",
            "Confirm your email address to register for the draw",
        )
    before = await repo.registration(pool, phase.phase_id, principal.user_id)
    row = await repo.register(pool, phase.phase_id, principal.user_id, data.quantity, data.section)
    if row is None:  # drawn already: the registration no longer changes
        row = before
    assert row is not None
    return _registration(phase, row), before is None


async def my_registration(
    pool: asyncpg.Pool, principal: Principal, event_id: str, phase_id: str
) -> Registration:
    _, phase = await visible_phase(pool, principal, event_id, phase_id)
    row = await repo.registration(pool, phase.phase_id, principal.user_id)
    if row is None:
        raise not_found("Registration")
    return _registration(phase, row)


def seats_of(event: EventRecord, phase: PhaseRecord) -> int:
    return sum(
        s.capacity for s in event.sections if phase.sections is None or s.code in phase.sections
    )


async def run_draw(
    pool: asyncpg.Pool, principal: Principal, event_id: str, phase_id: str, codes: int | None
) -> DrawReport:
    """Draw once, after registration closes, over one account per person (the others
    set aside as `duplicate`): the first of the seeded order get codes bound to them,
    the rest are listed in order. A rerun returns the recorded draw."""
    event, phase = await managed_phase(pool, principal, event_id, phase_id)
    _needs(phase, "draw")
    if utcnow() < phase.registration_end():
        raise AppError("draw_not_due", 409, "Too early", "The draw runs after registration closes")
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", "draw:" + phase.phase_id)
        if await repo.draw(conn, phase.phase_id) is None:
            users, duplicates = draw.one_per_person(
                [
                    draw.Registrant(str(r["user_id"]), r["phone"], r["cards"])
                    for r in await repo.registrant_identities(conn, phase.phase_id)
                ]
            )
            ordered = draw.order(phase.seed, users)
            wanted = (
                codes
                if codes is not None
                else math.floor(seats_of(event, phase) * phase.codes_per_seat)
            )
            winners = ordered[:wanted]
            issued = [new_code() for _ in winners]
            await repo.insert_codes(
                conn, phase.phase_id, issued, [1] * len(issued), "draw", winners
            )
            rows: list[tuple[str, str, int | None, str | None]] = [
                (u, "won", i + 1, issued[i]) for i, u in enumerate(winners)
            ]
            rows += [(u, "listed", i + 1, None) for i, u in enumerate(ordered) if i >= len(winners)]
            rows += [(u, "duplicate", None, None) for u in duplicates]
            await repo.set_outcomes(conn, phase.phase_id, rows)
            await repo.insert_draw(
                conn, phase.phase_id, len(users), draw.registrations_sha256(users), len(winners)
            )
            await repo.insert_draw_messages(conn, phase, winners, issued)
            await repo.insert_draw_outcome_messages(
                conn, phase, ordered[len(winners) :], duplicates
            )
    return await draw_report(pool, principal, event_id, phase_id)


async def refill(
    pool: asyncpg.Pool, principal: Principal, event_id: str, phase_id: str, count: int | None
) -> Refill:
    """Void the draw's unused codes (when no count is given) and send as many codes to
    the next accounts on the list, in the draw's order."""
    _, phase = await managed_phase(pool, principal, event_id, phase_id)
    _needs(phase, "draw")
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", "draw:" + phase.phase_id)
        if await repo.draw(conn, phase.phase_id) is None:
            raise AppError("draw_not_run", 409, "No draw yet", "Run the draw first")
        voided = 0
        if count is None:
            voided = await repo.void_codes(
                conn, phase.phase_id, await repo.unused_draw_codes(conn, phase.phase_id)
            )
            count = voided
        nexts = await repo.next_listed(conn, phase.phase_id, count)
        issued = [new_code() for _ in nexts]
        await repo.insert_codes(
            conn, phase.phase_id, issued, [1] * len(issued), "draw", [u for u, _ in nexts]
        )
        await repo.set_outcomes(
            conn,
            phase.phase_id,
            [(u, "won", k, c) for (u, k), c in zip(nexts, issued, strict=True)],
        )
        await repo.insert_draw_messages(conn, phase, [u for u, _ in nexts], issued)
    return Refill(voided=voided, issued=len(nexts))


async def draw_report(
    pool: asyncpg.Pool, principal: Principal | None, event_id: str, phase_id: str
) -> DrawReport:
    """The public proof of a draw: commitment before, seed and inputs after."""
    _, phase = await visible_phase(pool, principal, event_id, phase_id)
    _needs(phase, "draw")
    now = utcnow()
    row = await repo.draw(pool, phase.phase_id)
    report = DrawReport(
        phase_id=phase.phase_id,
        event_id=phase.event_id,
        seed_sha256=phase.seed_sha256,
        derivation=draw.DERIVATION,
        registration_closes_at=phase.registration_end(),
        drawn=row is not None,
        seed=phase.seed if phase.seed_revealed(now) else None,
    )
    if row is None:
        return report
    users = await repo.drawn_registrants(pool, phase.phase_id)
    report.registrations = int(row["registrations"])
    report.registrations_sha256 = row["registrations_sha256"]
    report.winners = int(row["winners"])
    report.registrants = sorted(users)
    report.order = await repo.drawn_order(pool, phase.phase_id)
    return report
