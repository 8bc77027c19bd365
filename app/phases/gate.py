"""The room's door in an event sold in phases: who may join now, and the phase their
admission token names (its sections and per-account limit, checked by the hold path)."""

from __future__ import annotations

import asyncpg
import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.clock import utcnow
from app.core.errors import AppError, sale_not_open
from app.core.i18n import N_
from app.core.security import Principal
from app.events import service as events
from app.phases import cache, repo
from app.phases.model import PhaseRecord
from app.phases.service import normalize_code
from waiting_room import tokens
from waiting_room.members import member_of
from waiting_room.queue import QueueView


def code_required() -> AppError:
    return AppError(
        "code_required", 403, "Access code required", N_("This sale phase needs an access code")
    )


def code_invalid() -> AppError:
    return AppError(
        "code_invalid",
        403,
        "Access code not valid",
        N_("This access code is not valid, used up, or belongs to another account"),
    )


def not_on_list() -> AppError:
    return AppError(
        "not_on_list", 403, "Members only", N_("This sale phase is for the members of a list")
    )


async def _redeem(pool: asyncpg.Pool, phase: PhaseRecord, code: str, user_id: str) -> bool:
    """One use of the code for this account, atomically (a row lock orders racers)."""
    async with pool.acquire() as conn:
        tr = conn.transaction()
        await tr.start()
        try:
            ok = await repo.take_code_use(conn, phase.phase_id, code, user_id)
        except BaseException:
            await tr.rollback()
            raise
        if ok:
            await tr.commit()
            return True
        await tr.rollback()
    # Refused, or this account raced itself with the same code: then it holds a use.
    return await repo.used_code(pool, phase.phase_id, user_id) == code


async def admit(
    pool: asyncpg.Pool, principal: Principal, event_id: str, access_code: str | None
) -> PhaseRecord | None:
    """The phase this account joins in (None: the event has no phases), or 403/409.

    Among the phases open now (or in their pre-queue), a code the account already
    entered with counts first, then a code given now, then a member list, then
    a phase open to everyone.
    """
    phases = await cache.phases(pool, event_id)
    if not phases:
        return None
    # An event the caller may not see says nothing of its phases (a draft is a 404).
    await events.get_visible_event(pool, principal, event_id)
    user_id = principal.user_id
    now = utcnow()
    joinable = [p for p in phases if p.joinable(now)]
    if not joinable:
        upcoming = [p for p in phases if p.opens_at > now]
        if upcoming:
            raise AppError(
                "sale_not_open",
                409,
                "Sale not open",
                N_("The next sale phase opens at {when}"),
                params={"when": upcoming[0].opens_at.isoformat()},
            )
        raise sale_not_open(N_("Every sale phase of this event has closed"))
    coded = [p for p in joinable if p.audience in ("code", "draw")]
    for p in coded:
        if await repo.used_code(pool, p.phase_id, user_id) is not None:
            return p
    if access_code:
        code = normalize_code(access_code)
        for p in coded:
            if await _redeem(pool, p, code, user_id):
                return p
    unverified = False
    for p in joinable:
        if p.audience != "list":
            continue
        member = await repo.membership(pool, p.phase_id, user_id)
        if member:
            return p
        # On the list by an address the account never proved: anyone could have signed
        # up with a member's email, so the list waits for the verification link.
        unverified = unverified or member is False
    for p in joinable:
        if p.audience == "everyone":
            return p
    if unverified and not (access_code and coded):
        raise AppError(
            "email_unverified",
            403,
            "Email not verified",
            N_("Confirm your email address to enter the members' sale"),
        )
    if coded:
        raise code_invalid() if access_code else code_required()
    raise not_on_list()


async def pow_default(pool: asyncpg.Pool, event_id: str, default: int) -> int:
    """The proof-of-work difficulty a join needs when the organizer set none for the room:
    the highest of the joinable phases' own settings, else the deployment's default.

    Read from the cached phase list (no round trip of its own); an operator's setting for
    the event (POST …/queue/pow) and the surge bits still apply on top.
    """
    phases = await cache.phases(pool, event_id)
    if not phases:
        return default
    now = utcnow()
    asked = [
        p.room.pow_difficulty
        for p in phases
        if p.joinable(now) and p.room.pow_difficulty is not None
    ]
    return max(asked) if asked else default


def id_of(phase: PhaseRecord | None) -> str:
    """The phase id the join script checks and records with the place ('' none)."""
    return phase.phase_id if phase is not None else ""


async def stamp(
    pool: asyncpg.Pool, redis: Redis, secret: str, event_id: str, user_id: str, view: QueueView
) -> QueueView:
    """An admitted fan's token with its phase (sections, limit); other views unchanged.

    Costs nothing for an event without phases (the cached phase list is empty).
    """
    if view.admission_token is None:
        return view
    phases = await cache.phases(pool, event_id)
    if not phases:
        return view
    phase_id = await redis.hget(keys.phase_of(event_id), member_of(user_id))  # type: ignore[misc]
    if phase_id is None:
        return view
    pid = phase_id.decode() if isinstance(phase_id, bytes) else phase_id
    phase = next((p for p in phases if p.phase_id == pid), None)
    if phase is None:
        return view
    admission = tokens.verify(
        secret, view.admission_token, event_id=event_id, user_id=user_id, now_ms=0
    )
    token = tokens.issue(
        secret,
        msgspec.structs.replace(
            admission,
            phase_id=phase.phase_id,
            sections=phase.sections or (),
            max_per_user=phase.max_per_user or 0,
        ),
    )
    return msgspec.structs.replace(view, admission_token=token)
