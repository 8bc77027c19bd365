"""HTTP endpoints of parties: create (leader), join by invite code, show, leave."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Response, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from redis.asyncio import Redis

from app.core import entry
from app.core.errors import not_found
from app.core.scripts import Scripts
from app.core.security import Principal
from app.core.settings import Settings
from app.events import service as events_service
from waiting_room import party
from waiting_room.members import member_of, user_of


class PartyIn(msgspec.Struct, forbid_unknown_fields=True):
    invite_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class PartyOut(msgspec.Struct):
    """A party: one place in the line (the leader's), admitted together."""

    invite_code: str
    leader_user_id: str
    member_user_ids: list[str]
    size: int
    max_size: int
    leader: bool


def _out(p: party.Party, user_id: str) -> PartyOut:
    return PartyOut(
        invite_code=p.invite_code,
        leader_user_id=user_of(p.leader),
        member_user_ids=sorted(user_of(m) for m in p.members),
        size=p.size,
        max_size=party.PARTY_MAX_SIZE,
        leader=p.leader == member_of(user_id),
    )


@post(
    "/api/v1/events/{event_id:uuid}/party",
    operation_id="createParty",
    tags=["queue"],
    status_code=201,
    responses={200: ResponseSpec(data_container=PartyOut, description="Already in a party")},
)
async def create_party(
    event_id: UUID,
    request: Request[Any, Any, Any],
    principal: Principal,
    scripts: Scripts,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    pow_challenge: entry.PowChallenge = None,
    pow_nonce: entry.PowNonce = None,
) -> Response[PartyOut]:
    """Make the caller's waiting place a party's; friends join it with the invite code.
    Like a queue join, it needs the account's proof of work (X-PoW-Challenge/-Nonce)."""
    member = member_of(principal.user_id)
    await entry.hit_limits(request, principal.user_id, "party_account")
    eid = await events_service.visible_event_id(pool, principal, event_id)
    await entry.pay_pow(
        redis, settings, pow_challenge, pow_nonce, event_id=eid, user_id=principal.user_id
    )
    existing = await party.get(scripts, eid, member)
    p = existing or await party.create(scripts, eid, member)
    return Response(_out(p, principal.user_id), status_code=200 if existing else 201)


@post(
    "/api/v1/events/{event_id:uuid}/party/join",
    operation_id="joinParty",
    tags=["queue"],
    status_code=200,
)
async def join_party(
    event_id: UUID,
    data: PartyIn,
    request: Request[Any, Any, Any],
    principal: Principal,
    scripts: Scripts,
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    pow_challenge: entry.PowChallenge = None,
    pow_nonce: entry.PowNonce = None,
) -> Response[PartyOut]:
    """Join a party: the caller's own place (if any) is given up for the party's. Each
    member pays its own proof of work, so one solve does not seat a party of accounts."""
    await entry.hit_limits(request, principal.user_id, "party_account")
    eid = await events_service.visible_event_id(pool, principal, event_id)
    await entry.pay_pow(
        redis, settings, pow_challenge, pow_nonce, event_id=eid, user_id=principal.user_id
    )
    p = await party.join(scripts, eid, member_of(principal.user_id), data.invite_code)
    return Response(_out(p, principal.user_id), status_code=200)


@get("/api/v1/events/{event_id:uuid}/party", operation_id="getParty", tags=["queue"])
async def get_party(
    event_id: UUID, principal: Principal, scripts: Scripts, pool: asyncpg.Pool
) -> PartyOut:
    p = await party.get(
        scripts,
        await events_service.visible_event_id(pool, principal, event_id),
        member_of(principal.user_id),
    )
    if p is None:
        raise not_found("Party")
    return _out(p, principal.user_id)


@delete("/api/v1/events/{event_id:uuid}/party", operation_id="leaveParty", tags=["queue"])
async def leave_party(
    event_id: UUID, principal: Principal, scripts: Scripts, pool: asyncpg.Pool
) -> None:
    """A member leaves the party (and has no place); the leader leaving dissolves it."""
    await party.leave(
        scripts,
        await events_service.visible_event_id(pool, principal, event_id),
        member_of(principal.user_id),
    )


ROUTES = [create_party, join_party, get_party, leave_party]
