"""Parties: up to PARTY_MAX_SIZE accounts queue as one, keep one place and are admitted together.

The leader (the account that creates the party) keeps its place in the line;
members join with the leader's invite code and give up places of their own
(lua/party_join.lua), so a party never gets a better place by pooling. A
member's status is the leader's: any member's poll counts as the party's
presence, and once the leader is admitted every member gets an admission token
of its own bound to the leader's shopping session. Holds are checked per
account (user id), so each account's ticket limits still hold.
"""

from __future__ import annotations

import secrets
from enum import IntEnum

import msgspec

from app.core import keys
from app.core.clock import now_ms
from app.core.errors import AppError, not_found
from app.core.scripts import Scripts

PARTY_MAX_SIZE = 4
CODE_FIELD = "@code"


class Linked(IntEnum):
    """Return codes of lua/party_join.lua."""

    JOINED = 1
    ALREADY = 0
    NO_PARTY = -1
    OTHER_PARTY = -2
    CLOSED = -3
    FULL = -4
    ADMITTED = -5


class Party(msgspec.Struct, frozen=True):
    leader: str
    invite_code: str
    size: int
    members: tuple[str, ...]


def party_error(code: Linked) -> AppError:
    if code is Linked.NO_PARTY:
        return not_found("Party")
    detail = {
        Linked.OTHER_PARTY: "This account is already in another party of this event",
        Linked.CLOSED: "The party's place is no longer waiting (admitted or left)",
        Linked.FULL: f"A party has at most {PARTY_MAX_SIZE} accounts",
        Linked.ADMITTED: "This account is already shopping; it cannot join a party now",
    }[code]
    return AppError("party_unavailable", 409, "Party not available", detail)


async def leader_of(scripts: Scripts, event_id: str, member: str) -> str | None:
    leader: str | None = await scripts.redis.hget(keys.party_of(event_id), member)  # type: ignore[misc]
    return leader


async def get(scripts: Scripts, event_id: str, member: str) -> Party | None:
    leader = await leader_of(scripts, event_id, member)
    if leader is None:
        return None
    fields: dict[str, str] = await scripts.redis.hgetall(  # type: ignore[misc]
        keys.party_members(event_id, leader)
    )
    code = fields.pop(CODE_FIELD, "")
    return Party(leader, code, len(fields), tuple(sorted(fields)))


async def create(scripts: Scripts, event_id: str, member: str) -> Party:
    """The caller's party (made once); the caller must hold a waiting place."""
    found = await get(scripts, event_id, member)
    if found is not None:
        return found
    redis = scripts.redis
    pipe = redis.pipeline(transaction=False)
    pipe.zscore(keys.queue_line(event_id), member)
    pipe.zscore(keys.queue_comeback(event_id), member)
    if not any(score is not None for score in await pipe.execute()):
        raise party_error(Linked.CLOSED)
    code = secrets.token_urlsafe(9)
    # NX: two racing creates of one account keep one party and one code.
    if not await redis.hsetnx(keys.party_of(event_id), member, member):  # type: ignore[misc]
        found = await get(scripts, event_id, member)
        assert found is not None
        return found
    pipe = redis.pipeline(transaction=False)
    pipe.hset(keys.party_members(event_id, member), mapping={member: "1", CODE_FIELD: code})
    pipe.hset(keys.party_codes(event_id), code, member)
    await pipe.execute()
    return Party(member, code, 1, (member,))


async def join(scripts: Scripts, event_id: str, member: str, code: str) -> Party:
    redis = scripts.redis
    leader: str | None = await redis.hget(keys.party_codes(event_id), code)  # type: ignore[misc]
    if leader is None:
        raise party_error(Linked.NO_PARTY)
    raw = await scripts.run(
        "party_join",
        [
            keys.party_codes(event_id),
            keys.party_of(event_id),
            keys.party_members(event_id, leader),
            keys.queue_line(event_id),
            keys.queue_comeback(event_id),
            keys.queue_sessions(event_id),
            keys.active_sessions(event_id),
        ],
        [member, code, leader, PARTY_MAX_SIZE, now_ms()],
    )
    result = Linked(int(raw[0]))
    if result not in (Linked.JOINED, Linked.ALREADY):
        raise party_error(result)
    party = await get(scripts, event_id, member)
    assert party is not None
    return party


async def leave(scripts: Scripts, event_id: str, member: str) -> None:
    """A member leaves its party (without a place); the leader leaving dissolves it."""
    leader = await leader_of(scripts, event_id, member)
    if leader is None:
        return
    redis = scripts.redis
    if leader != member:
        pipe = redis.pipeline(transaction=False)
        pipe.hdel(keys.party_of(event_id), member)
        pipe.hdel(keys.party_members(event_id, leader), member)
        await pipe.execute()
        return
    party = await get(scripts, event_id, member)
    assert party is not None
    pipe = redis.pipeline(transaction=False)
    if party.members:
        pipe.hdel(keys.party_of(event_id), *party.members)
    pipe.hdel(keys.party_codes(event_id), party.invite_code)
    pipe.delete(keys.party_members(event_id, leader))
    await pipe.execute()
