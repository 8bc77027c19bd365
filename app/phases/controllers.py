"""HTTP endpoints of sale phases: phases, access codes, member lists, registration draws."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, Response, delete, get, post, put
from redis.asyncio import Redis

from app.audit import service as audit
from app.core.clock import utcnow
from app.core.security import Principal
from app.phases import prequeue, room, service
from app.phases.schemas import (
    CodeImport,
    CodeImportIn,
    CodesIn,
    CodesOut,
    DrawIn,
    DrawReport,
    Members,
    MembersIn,
    Phase,
    PhaseEntrant,
    PhaseEntrantExport,
    PhaseIn,
    PhaseList,
    Refill,
    RefillIn,
    Registration,
    RegistrationIn,
)

BASE = "/api/v1/events/{event_id:uuid}/phases"


@post(BASE, operation_id="createPhase", tags=["phases"], status_code=201)
async def create_phase(
    event_id: UUID,
    data: PhaseIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
) -> Phase:
    """A sale phase; 422 `phase_overlap` when it overlaps a phase of the same audience."""
    phase = await service.create_phase(pool, principal, str(event_id), data)
    await room.sync(pool, redis, phase.event_id)
    await audit.organizer_action(
        request, pool, principal, "phase.create", phase.event_id, phase_id=phase.phase_id
    )
    return service.present(phase, utcnow())


@get(BASE, operation_id="listPhases", tags=["phases"])
async def list_phases(
    event_id: UUID, maybe_principal: Principal | None, pool: asyncpg.Pool, redis: Redis
) -> PhaseList:
    """The event's phases (public); its organizer also gets each phase's figures."""
    items = await service.list_phases(pool, redis, maybe_principal, str(event_id))
    return PhaseList(items=items)


@delete(BASE + "/{phase_id:uuid}", operation_id="deletePhase", tags=["phases"])
async def delete_phase(
    event_id: UUID,
    phase_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    redis: Redis,
) -> None:
    await service.delete_phase(pool, principal, str(event_id), str(phase_id))
    await room.sync(pool, redis, str(event_id))
    await audit.organizer_action(
        request, pool, principal, "phase.delete", str(event_id), phase_id=str(phase_id)
    )


@get(
    BASE + "/{phase_id:uuid}/entrants",
    operation_id="exportPhaseEntrants",
    tags=["phases"],
)
async def phase_entrants(
    event_id: UUID,
    phase_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> PhaseEntrantExport:
    """Organizer export of a phase's sealed pre-queue, to recompute its shuffle (the
    phase's fairness proof, with its seed once it has opened)."""
    _, phase = await service.managed_phase(
        pool, principal, str(event_id), str(phase_id), need="read"
    )
    sealed, entrants = await prequeue.entrant_export(pool, phase.phase_id)
    await audit.organizer_action(
        request,
        pool,
        principal,
        "phase.export_entrants",
        phase.event_id,
        phase_id=phase.phase_id,
        entrants=len(entrants),
    )
    return PhaseEntrantExport(
        phase_id=phase.phase_id,
        event_id=phase.event_id,
        sealed=sealed,
        seed_sha256=phase.seed_sha256,
        seed=phase.seed if phase.seed_revealed(utcnow()) else None,
        derivation=prequeue.DERIVATION,
        entrants=[PhaseEntrant(user_id=u, arrival=s) for u, s in entrants],
    )


@post(
    BASE + "/{phase_id:uuid}/codes",
    operation_id="createPhaseCodes",
    tags=["phases"],
    status_code=201,
)
async def create_codes(
    event_id: UUID,
    phase_id: UUID,
    data: CodesIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> CodesOut:
    """`count` new access codes of `uses` uses each (a use binds the code to an account)."""
    codes = await service.generate_codes(
        pool, principal, str(event_id), str(phase_id), data.count, data.uses
    )
    await audit.organizer_action(
        request,
        pool,
        principal,
        "phase.codes",
        str(event_id),
        phase_id=str(phase_id),
        count=len(codes),
    )
    return CodesOut(codes=codes)


@get(BASE + "/{phase_id:uuid}/codes", operation_id="exportPhaseCodes", tags=["phases"])
async def export_codes(
    event_id: UUID,
    phase_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> Response[str]:
    """The phase's codes as CSV: code, uses, used, source, bound_to, voided_at, created_at."""
    text = await service.export_codes(pool, principal, str(event_id), str(phase_id))
    await audit.organizer_action(
        request, pool, principal, "phase.codes_export", str(event_id), phase_id=str(phase_id)
    )
    return Response(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="codes-{phase_id}.csv"'},
    )


@post(BASE + "/{phase_id:uuid}/codes/import", operation_id="importPhaseCodes", tags=["phases"])
async def import_codes(
    event_id: UUID,
    phase_id: UUID,
    data: CodeImportIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> CodeImport:
    codes, uses = list(data.codes or []), data.uses
    if data.csv is not None:
        parsed, csv_uses = service.parse_code_csv(data.csv)
        codes += parsed
        uses = csv_uses or uses
    imported, skipped = await service.import_codes(
        pool, principal, str(event_id), str(phase_id), codes, uses
    )
    await audit.organizer_action(
        request,
        pool,
        principal,
        "phase.codes_import",
        str(event_id),
        phase_id=str(phase_id),
        count=imported,
    )
    return CodeImport(imported=imported, skipped=skipped)


@put(BASE + "/{phase_id:uuid}/members", operation_id="putPhaseMembers", tags=["phases"])
async def put_members(
    event_id: UUID,
    phase_id: UUID,
    data: MembersIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> Members:
    """Replace the member list of a `list` phase (emails; their accounts may join)."""
    emails = list(data.emails or [])
    if data.csv is not None:
        emails += service.parse_member_csv(data.csv)
    count = await service.replace_members(pool, principal, str(event_id), str(phase_id), emails)
    await audit.organizer_action(
        request,
        pool,
        principal,
        "phase.members",
        str(event_id),
        phase_id=str(phase_id),
        count=count,
    )
    return Members(members=count)


@post(
    BASE + "/{phase_id:uuid}/registrations",
    operation_id="registerForDraw",
    tags=["phases"],
    status_code=201,
)
async def register(
    event_id: UUID,
    phase_id: UUID,
    principal: Principal,
    pool: asyncpg.Pool,
    data: RegistrationIn | None = None,
) -> Response[Registration]:
    """Register for a draw before its deadline (verified email; one per account; a repeat
    changes quantity and section, 200)."""
    body = data or RegistrationIn()
    reg, created = await service.register(pool, principal, str(event_id), str(phase_id), body)
    return Response(reg, status_code=201 if created else 200)


@get(BASE + "/{phase_id:uuid}/registration", operation_id="getDrawRegistration", tags=["phases"])
async def my_registration(
    event_id: UUID, phase_id: UUID, principal: Principal, pool: asyncpg.Pool
) -> Registration:
    """The caller's registration: registered, won (with the code), or listed."""
    return await service.my_registration(pool, principal, str(event_id), str(phase_id))


@post(BASE + "/{phase_id:uuid}/draw", operation_id="runDraw", tags=["phases"], status_code=200)
async def run_draw(
    event_id: UUID,
    phase_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    data: DrawIn | None = None,
) -> DrawReport:
    codes = data.codes if data else None
    report = await service.run_draw(pool, principal, str(event_id), str(phase_id), codes)
    await audit.organizer_action(
        request,
        pool,
        principal,
        "phase.draw",
        str(event_id),
        phase_id=str(phase_id),
        winners=report.winners,
    )
    return report


@get(BASE + "/{phase_id:uuid}/draw", operation_id="getDraw", tags=["phases"])
async def get_draw(
    event_id: UUID, phase_id: UUID, maybe_principal: Principal | None, pool: asyncpg.Pool
) -> DrawReport:
    """Public proof of the draw: the seed's hash before, seed, registrants and order after
    (re-run it with `onsale phases verify-draw`)."""
    return await service.draw_report(pool, maybe_principal, str(event_id), str(phase_id))


@post(
    BASE + "/{phase_id:uuid}/draw/refill",
    operation_id="refillDraw",
    tags=["phases"],
    status_code=200,
)
async def refill_draw(
    event_id: UUID,
    phase_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    data: RefillIn | None = None,
) -> Refill:
    """Codes for the next accounts on the list: `count` more, or (no count) as many as
    draw codes lie unused, which are voided first."""
    result = await service.refill(
        pool, principal, str(event_id), str(phase_id), data.count if data else None
    )
    await audit.organizer_action(
        request,
        pool,
        principal,
        "phase.refill",
        str(event_id),
        phase_id=str(phase_id),
        issued=result.issued,
    )
    return result


ROUTES = [
    create_phase,
    list_phases,
    delete_phase,
    create_codes,
    export_codes,
    import_codes,
    put_members,
    register,
    my_registration,
    run_draw,
    get_draw,
    refill_draw,
    phase_entrants,
]
