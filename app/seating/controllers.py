"""HTTP endpoints of seat maps: import, export, block and unblock, and the public seats."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import asyncpg
from litestar import Request, Response, get, post, put

from app.audit import service as audit
from app.core.scripts import Scripts
from app.core.security import Principal
from app.seating import service
from app.seating.schemas import BlockIn, BlockOut, SeatMapResult, SeatsOut

# Like the room snapshot: the same answer for every fan, so a cache can serve the crowd.
CACHE_CONTROL = "public, max-age=1"

_MAP_DOC = (
    "A pretix seating plan (application/json; Onsale's prices, accessible, companion and "
    "blocked seats and focal point in an optional top-level `onsale` member) or a CSV "
    "(text/csv) with the header section,row,seat,category,x,y,accessible."
)


@put(
    "/api/v1/events/{event_id:uuid}/sections/{code:str}/seatmap",
    operation_id="importSeatMap",
    tags=["seating"],
    status_code=200,
    description=_MAP_DOC,
)
async def import_seat_map(
    event_id: UUID,
    code: str,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    scripts: Scripts,
) -> SeatMapResult:
    # Read raw: the body is JSON or CSV, told apart by its Content-Type.
    data = await request.body()
    content_type = request.headers.get("content-type", "application/json").lower()
    result = await service.import_map(
        pool, scripts, principal, str(event_id), code, data, content_type
    )
    await audit.organizer_action(
        request,
        pool,
        principal,
        "event.seatmap",
        str(event_id),
        target_type="section",
        target_id=code,
        seats=result.seats,
        capacity=result.capacity,
    )
    return result


@get(
    "/api/v1/events/{event_id:uuid}/sections/{code:str}/seatmap",
    operation_id="exportSeatMap",
    tags=["seating"],
    description="The map as imported, with today's prices and blocks: `format=json` (pretix "
    "plan with the `onsale` member), `pretix` (the plan alone) or `csv` (also chosen by "
    "`Accept: text/csv`).",
)
async def export_seat_map(
    event_id: UUID,
    code: str,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    format: Literal["json", "pretix", "csv"] | None = None,
) -> Response[bytes]:
    fmt = format or ("csv" if "text/csv" in request.headers.get("accept", "") else "json")
    body, media_type = await service.export_map(pool, principal, str(event_id), code, fmt)
    return Response(body, media_type=media_type)


@get(
    "/api/v1/events/{event_id:uuid}/sections/{code:str}/seats",
    operation_id="getSectionSeats",
    tags=["seating"],
    response_description="SeatsOut",
)
async def section_seats(
    event_id: UUID, code: str, request: Request[Any, Any, Any], scripts: Scripts
) -> Response[bytes]:
    body = await service.seats_view(scripts, str(event_id), code)
    tag = service.etag(body)
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": tag}
    if request.headers.get("if-none-match") == tag:
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


async def _block(
    event_id: UUID,
    code: str,
    data: BlockIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    scripts: Scripts,
    *,
    block: bool,
) -> BlockOut:
    out = await service.set_blocked(
        pool, scripts, principal, str(event_id), code, data.seats, block=block
    )
    await audit.organizer_action(
        request,
        pool,
        principal,
        "event.seats_blocked" if block else "event.seats_unblocked",
        str(event_id),
        target_type="section",
        target_id=code,
        seats=out.changed[:100],
        capacity=out.capacity,
    )
    return out


@post(
    "/api/v1/events/{event_id:uuid}/sections/{code:str}/seats/block",
    operation_id="blockSeats",
    tags=["seating"],
    status_code=200,
)
async def block_seats(
    event_id: UUID,
    code: str,
    data: BlockIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    scripts: Scripts,
) -> BlockOut:
    return await _block(event_id, code, data, request, principal, pool, scripts, block=True)


@post(
    "/api/v1/events/{event_id:uuid}/sections/{code:str}/seats/unblock",
    operation_id="unblockSeats",
    tags=["seating"],
    status_code=200,
)
async def unblock_seats(
    event_id: UUID,
    code: str,
    data: BlockIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    pool: asyncpg.Pool,
    scripts: Scripts,
) -> BlockOut:
    return await _block(event_id, code, data, request, principal, pool, scripts, block=False)


ROUTES = [import_seat_map, export_seat_map, section_seats, block_seats, unblock_seats]
__all__ = ["ROUTES", "SeatsOut"]
