"""HTTP endpoints of tickets at the door: scanner keys, check-in (online and synced), lists,
the scanner's offline copy, conflicts, scanner grants, and a fan's tickets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request, Response, delete, get, post, put

from app.audit import service as audit
from app.core.clientip import client_ip
from app.core.ratelimit import RateLimiter
from app.core.security import Principal
from app.core.settings import Settings
from app.tickets import checkin, service
from app.tickets.schemas import (
    CheckinData,
    CheckinIn,
    CheckinList,
    CheckinListIn,
    CheckinLists,
    CheckinOut,
    Conflicts,
    RotateKeyIn,
    RotateKeyOut,
    ScannerEvents,
    ScannerKeys,
    Scanners,
    SyncIn,
    SyncOut,
)

# Keys change only on a rotation; a scanner that re-reads them a minute late still verifies
# every code (old keys stay listed), so caches may keep them a minute.
KEYS_CACHE_CONTROL = "public, max-age=60"


def _limiter(request: Request[Any, Any, Any]) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


@get(
    "/api/v1/events/{event_id:uuid}/scanner-key",
    operation_id="getScannerKeys",
    tags=["tickets"],
    description="The event's Ed25519 public keys (public, cacheable): all a scanner needs to "
    "tell a genuine ticket code from a forged one.",
)
async def scanner_key(
    event_id: UUID, pool: asyncpg.Pool, settings: Settings
) -> Response[ScannerKeys]:
    found = await service.scanner_keys(pool, settings, str(event_id))
    return Response(found, headers={"Cache-Control": KEYS_CACHE_CONTROL})


@post(
    "/api/v1/events/{event_id:uuid}/scanner-key/rotate",
    operation_id="rotateScannerKey",
    tags=["tickets"],
    status_code=201,
    description="A new signing key for the event's new tickets. With retire_old, every ticket "
    "is re-signed with it and the old keys are no longer published.",
)
async def rotate_key(
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    settings: Settings,
    data: RotateKeyIn | None = None,
) -> RotateKeyOut:
    body = data or RotateKeyIn()
    kid, resigned, published = await service.rotate_key(
        pool, settings, principal, str(event_id), retire_old=body.retire_old
    )
    await audit.record_event(
        pool,
        principal,
        "event.rotate_ticket_key",
        str(event_id),
        client_ip=client_ip(request),
        detail={"kid": kid, "retire_old": body.retire_old, "resigned": resigned},
    )
    return RotateKeyOut(kid=kid, resigned=resigned, keys=published.keys)


@post("/api/v1/checkins", operation_id="checkIn", tags=["tickets"], status_code=200)
async def check_in(
    data: CheckinIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    settings: Settings,
) -> CheckinOut:
    await _limiter(request).hit("checkin_account", principal.user_id)
    return await checkin.scan(pool, settings, principal, data)


@post("/api/v1/checkins/sync", operation_id="syncCheckins", tags=["tickets"], status_code=200)
async def sync_checkins(
    data: SyncIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    settings: Settings,
) -> SyncOut:
    await _limiter(request).hit("checkin_sync_account", principal.user_id)
    return await checkin.sync(pool, settings, principal, data)


@get(
    "/api/v1/events/{event_id:uuid}/checkin-data",
    operation_id="getCheckinData",
    tags=["tickets"],
)
async def checkin_data(
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    settings: Settings,
    list_id: str | None = None,
) -> Response[CheckinData]:
    await _limiter(request).hit("checkin_data_account", principal.user_id)
    found = await service.checkin_data(pool, settings, principal, str(event_id), list_id)
    # Rotation secrets: never in a shared cache.
    return Response(found, headers={"Cache-Control": "no-store"})


@post(
    "/api/v1/events/{event_id:uuid}/checkin-lists",
    operation_id="createCheckinList",
    tags=["tickets"],
    status_code=201,
)
async def create_list(
    event_id: UUID,
    data: CheckinListIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> CheckinList:
    created = await service.create_list(pool, principal, str(event_id), data)
    await audit.record_event(
        pool,
        principal,
        "event.create_checkin_list",
        str(event_id),
        client_ip=client_ip(request),
        detail={"list_id": created.list_id, "name": created.name},
    )
    return created


@get(
    "/api/v1/events/{event_id:uuid}/checkin-lists",
    operation_id="listCheckinLists",
    tags=["tickets"],
)
async def list_lists(event_id: UUID, principal: Principal, pool: asyncpg.Pool) -> CheckinLists:
    return CheckinLists(lists=await service.lists(pool, principal, str(event_id)))


@get(
    "/api/v1/events/{event_id:uuid}/checkin-conflicts",
    operation_id="listCheckinConflicts",
    tags=["tickets"],
)
async def list_conflicts(event_id: UUID, principal: Principal, pool: asyncpg.Pool) -> Conflicts:
    return Conflicts(conflicts=await service.conflicts(pool, principal, str(event_id)))


@post(
    "/api/v1/events/{event_id:uuid}/checkin-conflicts/{ticket_id:str}/resolve",
    operation_id="resolveCheckinConflict",
    tags=["tickets"],
    status_code=204,
)
async def resolve_conflict(
    event_id: UUID,
    ticket_id: str,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> None:
    await service.resolve(pool, principal, str(event_id), ticket_id)
    await audit.record_event(
        pool,
        principal,
        "event.resolve_checkin_conflict",
        str(event_id),
        client_ip=client_ip(request),
        detail={"ticket_id": ticket_id},
    )


async def _change_scanner(
    change: Callable[[asyncpg.Pool, Principal, str, str], Awaitable[str]],
    action: str,
    event_id: UUID,
    email: str,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> None:
    """Grant or revoke the scanner role of an event for an address, and audit it."""
    address = await change(pool, principal, str(event_id), email)
    await audit.record_event(
        pool,
        principal,
        action,
        str(event_id),
        client_ip=client_ip(request),
        detail={"email": address},
    )


@put(
    "/api/v1/events/{event_id:uuid}/scanners/{email:str}",
    operation_id="grantScanner",
    tags=["tickets"],
    status_code=204,
)
async def grant_scanner(
    event_id: UUID,
    email: str,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> None:
    await _change_scanner(
        service.grant, "event.grant_scanner", event_id, email, request, principal, pool
    )


@delete(
    "/api/v1/events/{event_id:uuid}/scanners/{email:str}",
    operation_id="revokeScanner",
    tags=["tickets"],
    status_code=204,
)
async def revoke_scanner(
    event_id: UUID,
    email: str,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
) -> None:
    await _change_scanner(
        service.revoke, "event.revoke_scanner", event_id, email, request, principal, pool
    )


@get(
    "/api/v1/events/{event_id:uuid}/scanners",
    operation_id="listScanners",
    tags=["tickets"],
)
async def list_scanners(event_id: UUID, principal: Principal, pool: asyncpg.Pool) -> Scanners:
    return Scanners(scanners=await service.scanners(pool, principal, str(event_id)))


@get("/api/v1/me/scanner-events", operation_id="listMyScannerEvents", tags=["tickets"])
async def my_scanner_events(principal: Principal, pool: asyncpg.Pool) -> ScannerEvents:
    return ScannerEvents(events=await service.scanner_events(pool, principal))


ROUTES = [
    scanner_key,
    rotate_key,
    check_in,
    sync_checkins,
    checkin_data,
    create_list,
    list_lists,
    list_conflicts,
    resolve_conflict,
    grant_scanner,
    revoke_scanner,
    list_scanners,
    my_scanner_events,
]
