"""HTTP: the gate's check for nginx's auth_request, and a fan's place in the room."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie, State
from redis.asyncio import Redis

from app.core.clock import now_ms
from app.core.errors import AppError, not_found
from app.core.i18n import N_
from app.core.settings import Settings
from app.gate import passes
from app.gate.schemas import RoomStatus
from app.gate.state import POLL_AFTER_S, GateView, standing, take_place


def _view(state: State, redis: Redis) -> GateView:
    view: GateView | None = getattr(state, "gate_view", None)
    if view is None:
        view = GateView(redis)
        state.gate_view = view
    return view


def _cookie(request: Request[Any, Any, Any], name: str, value: str, max_age: int) -> Cookie:
    https = request.headers.get("x-forwarded-proto", request.url.scheme) == "https"
    return Cookie(
        key=name,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=https,
    )


def in_room() -> AppError:
    return AppError(
        "in_room",
        401,
        "Wait in the room",
        N_("The shop is busy: wait for your turn in the room"),
    )


@get(
    "/api/v1/room/check",
    operation_id="checkRoomGate",
    tags=["room"],
    description="For nginx's auth_request in front of a protected origin: 204 lets the "
    "request through (the gate is open, or the fan holds a pass), 401 `in_room` sends the "
    "fan to the room. Reads no Redis per request.",
    status_code=204,
)
async def check(
    request: Request[Any, Any, Any], state: State, redis: Redis, settings: Settings
) -> None:
    if passes.holds_pass(settings.secret_key, request.cookies.get(passes.PASS_COOKIE), now_ms()):
        return
    gate = await _view(state, redis).current()
    if gate.state != "open":
        raise in_room()


async def _answer(
    request: Request[Any, Any, Any],
    state: State,
    redis: Redis,
    settings: Settings,
    seq: int | None,
    new_place: bool,
) -> Response[RoomStatus]:
    now = now_ms()
    gate = await _view(state, redis).current()
    if seq is None and new_place and gate.state != "open":
        seq = await take_place(redis)
    stand = standing(gate, seq, settings)
    if not stand.through and seq is None:
        raise not_found("Place")
    cookies = []
    if stand.through:
        code = passes.grant(settings.secret_key, now, settings.gate_pass_ttl_s)
        cookies.append(_cookie(request, passes.PASS_COOKIE, code, settings.gate_pass_ttl_s))
    elif new_place:
        code = passes.place(settings.secret_key, seq or 0, now)
        cookies.append(_cookie(request, passes.PLACE_COOKIE, code, passes.PLACE_TTL_S))
    body = RoomStatus(
        state=gate.state,
        through=stand.through,
        position=stand.position,
        ahead=stand.ahead,
        eta_s=stand.eta_s,
        poll_after_s=POLL_AFTER_S,
    )
    return Response(body, cookies=cookies, headers={"Cache-Control": "no-store"})


@post(
    "/api/v1/room/join",
    operation_id="joinRoom",
    tags=["room"],
    description="A place at the end of the room's line (a signed cookie), or the place the "
    "cookie already names; through at once, with a pass cookie, when the gate is open.",
    status_code=200,
)
async def join(
    request: Request[Any, Any, Any], state: State, redis: Redis, settings: Settings
) -> Response[RoomStatus]:
    seq = passes.place_of(settings.secret_key, request.cookies.get(passes.PLACE_COOKIE), now_ms())
    return await _answer(request, state, redis, settings, seq, new_place=seq is None)


@get(
    "/api/v1/room/status",
    operation_id="getRoomStatus",
    tags=["room"],
    description="The fan's standing in the room (from the place cookie); through, with a "
    "pass cookie, once the line reached the place or the gate opened. 404 without a place "
    "while the gate is shut.",
)
async def status(
    request: Request[Any, Any, Any], state: State, redis: Redis, settings: Settings
) -> Response[RoomStatus]:
    seq = passes.place_of(settings.secret_key, request.cookies.get(passes.PLACE_COOKIE), now_ms())
    return await _answer(request, state, redis, settings, seq, new_place=False)


ROUTES = [check, join, status]
