"""Sign-in sessions: short access tokens, rotating refresh tokens, logout and revocation.

A login starts a session (Postgres `auth_sessions`) and returns an access token
carrying the session id (`sid`) plus a refresh token. The refresh token is 256
random bits stored only as its SHA-256 digest; each use rotates it (the old one
stops working) and presenting a used one again is taken as theft: the whole
session ends, unless it comes within REFRESH_GRACE_S of the rotation (then the
same new pair is returned again). Ending a session (logout, reuse, password
change, step-up, a role taken away) also marks its id in Redis for as long as
its access tokens could still be unexpired, and every authenticated request
checks it: against the process's mirror of ended sessions (app.auth.revocations,
read once a second: no round trip on the request), or, while that mirror is not
current, the session's own mark (cached here for REVOCATION_RECHECK_S). Either
way a revoked token stops within REVOCATION_RECHECK_S on other processes and at
once on the one that revoked it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import asyncpg
import msgspec
from litestar import Request
from redis.asyncio import Redis

from app.audit import service as audit
from app.auth import policy, repo, revocations
from app.auth.repo import UserRow
from app.core import keys
from app.core.errors import unauthorized
from app.core.ids import is_uuid, new_id
from app.core.principal import require_principal
from app.core.security import Principal, b64url, hmac_sign, issue_access_token
from app.core.settings import Settings

REFRESH_TOKEN_BYTES = 32
# A spent refresh token presented again within this many seconds of its rotation is
# answered with the same new pair (two tabs refreshing at once, a retried request);
# later, or a token older than the last rotation, is reuse and ends the session.
REFRESH_GRACE_S = 5.0
_ROTATION_PURPOSE = "refresh-rotation:v1"
# A revocation reaches other API processes within this many seconds; it saves
# one Redis round trip per request on the hot path for the same fan.
REVOCATION_RECHECK_S = 2.0
_CHECKED: dict[str, float] = {}
_CHECKED_MAX = 100_000


class Tokens(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: int


def _digest(refresh_token: str) -> bytes:
    return hashlib.sha256(refresh_token.encode()).digest()


def _new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def _successor(settings: Settings, refresh_token: str) -> str:
    """The refresh token that replaces this one, derived (HMAC under the secret key) rather
    than drawn: a retry within REFRESH_GRACE_S is answered with the same pair without any
    token being kept in plain anywhere. Without the secret key it is as unguessable as a
    random one."""
    return b64url(hmac_sign(settings.secret_key, _ROTATION_PURPOSE, refresh_token.encode()))


def _access(
    settings: Settings,
    user: UserRow,
    session_id: str,
    second_factor: bool,
    issued_at: int | None = None,
) -> str:
    roles = policy.token_roles(settings, user.roles, second_factor)
    principal = Principal(user_id=user.user_id, roles=roles, session_id=session_id)
    return issue_access_token(
        settings.secret_key, principal, settings.access_token_ttl_s, issued_at=issued_at
    )


async def start(
    pool: asyncpg.Pool, settings: Settings, user: UserRow, *, second_factor: bool
) -> Tokens:
    """A new session for a user who just proved who they are (with a second factor or not)."""
    session_id = new_id()
    refresh_token = _new_refresh_token()
    async with pool.acquire() as conn, conn.transaction():
        await repo.insert_session(
            conn, session_id, user.user_id, settings.refresh_token_ttl_s, second_factor
        )
        await repo.insert_refresh_token(conn, _digest(refresh_token), session_id)
    return Tokens(
        access_token=_access(settings, user, session_id, second_factor),
        refresh_token=refresh_token,
        expires_in=settings.access_token_ttl_s,
    )


async def replace(
    pool: asyncpg.Pool, redis: Redis, settings: Settings, principal: Principal, user: UserRow
) -> Tokens:
    """Step-up: a new session with a second factor takes over from the caller's, which ends."""
    tokens = await start(pool, settings, user, second_factor=True)
    if is_uuid(principal.session_id):
        await repo.end_session(pool, principal.session_id, principal.user_id, "step_up")
    await mark_ended(redis, settings, [principal.session_id])
    return tokens


def _in_grace(row: repo.RefreshRow) -> bool:
    return row.used_at is not None and time.time() - row.used_at <= REFRESH_GRACE_S


async def refresh(pool: asyncpg.Pool, redis: Redis, settings: Settings, token: str) -> Tokens:
    """Rotate a refresh token; reuse of a spent one ends its session (401 either way).

    The token presented again within REFRESH_GRACE_S of its rotation, while its successor
    is still unused (two tabs, a retried request), gets the same pair again. The row lock
    makes concurrent uses of one token queue up: one rotates, the others see it used.
    """
    digest = _digest(token)
    successor = _successor(settings, token)
    reused: tuple[str, str] | None = None
    async with pool.acquire() as conn:
        async with conn.transaction():
            row = await repo.refresh_token_for_update(conn, digest)
            if row is None or row.ended or row.expired:
                raise unauthorized("This refresh token is not valid; sign in again")
            user = await repo.by_id(conn, row.user_id)
            if user is None:
                raise unauthorized("This refresh token is not valid; sign in again")
            if row.used_at is not None:
                if _in_grace(row) and await repo.refresh_token_unused(conn, _digest(successor)):
                    issued_at = int(row.used_at)
                else:
                    await repo.end_session(conn, row.session_id, row.user_id, "refresh_reuse")
                    reused = (row.session_id, row.user_id)
            else:
                # Whole seconds: the access token's iat, reproduced for a retry in the grace.
                issued_at = int(time.time())
                await repo.mark_refresh_token_used(conn, digest, float(issued_at))
                await repo.insert_refresh_token(conn, _digest(successor), row.session_id)
        if reused is not None:
            await mark_ended(redis, settings, [reused[0]])
            await audit.record(
                pool,
                None,
                "session.refresh_reuse",
                target_type="session",
                target_id=reused[0],
                detail={"user_id": reused[1]},
            )
            raise unauthorized("This refresh token was already used; the session has ended")
    return Tokens(
        access_token=_access(settings, user, row.session_id, row.second_factor, issued_at),
        refresh_token=successor,
        expires_in=settings.access_token_ttl_s,
    )


async def logout(
    pool: asyncpg.Pool,
    redis: Redis,
    settings: Settings,
    principal: Principal | None,
    refresh_token: str | None,
) -> None:
    """End the caller's session, and the refresh token's (holding it proves the session).

    Works with an expired access token as long as the refresh token is sent;
    with neither a valid access token nor a known refresh token it is 401.
    """
    ended: list[str] = []
    if principal is not None:
        ended.append(principal.session_id)
        if is_uuid(principal.session_id):
            await repo.end_session(pool, principal.session_id, principal.user_id, "logout")
    if refresh_token:
        async with pool.acquire() as conn, conn.transaction():
            row = await repo.refresh_token_for_update(conn, _digest(refresh_token))
            if row is not None and (principal is None or row.user_id == principal.user_id):
                await repo.end_session(conn, row.session_id, row.user_id, "logout")
                ended.append(row.session_id)
    if not ended:
        raise unauthorized("Send a valid access token or refresh token to sign out")
    await mark_ended(redis, settings, ended)


async def end_other_sessions(
    pool: asyncpg.Pool, redis: Redis, settings: Settings, principal: Principal, reason: str
) -> list[str]:
    """End every session of the caller's account but the caller's own."""
    keep = principal.session_id if is_uuid(principal.session_id) else None
    ended = await repo.end_other_sessions(pool, principal.user_id, keep, reason)
    await mark_ended(redis, settings, ended)
    return ended


async def end_all(
    pool: asyncpg.Pool, redis: Redis, settings: Settings, user_id: str, reason: str
) -> int:
    """End every session of an account (its roles changed); returns how many ended."""
    ended = await repo.end_other_sessions(pool, user_id, None, reason)
    await mark_ended(redis, settings, ended)
    return len(ended)


async def mark_ended(redis: Redis, settings: Settings, session_ids: list[str]) -> None:
    """Access tokens of these sessions stop working (they expire on their own after TTL)."""
    if not session_ids:
        return
    ttl = settings.access_token_ttl_s + 60
    oldest = f"{int(time.time() - ttl) * 1000}-0"
    async with redis.pipeline(transaction=False) as pipe:
        for session_id in session_ids:
            pipe.set(keys.session_ended(session_id), "1", ex=ttl)
            pipe.xadd(
                keys.sessions_ended_feed(), {"sid": session_id}, minid=oldest, approximate=True
            )
            _CHECKED.pop(session_id, None)
        await pipe.execute()
    revocations.note_everywhere(session_ids)


async def active_principal(request: Request[Any, Any, Any]) -> Principal:
    """The caller of a request, or 401 when the token is missing, invalid or its session ended."""
    principal = require_principal(request)
    if not await is_active(request.app.state.resources.redis, principal.session_id):
        raise unauthorized("This session has ended; sign in again")
    return principal


async def is_active(redis: Redis, session_id: str) -> bool:
    """False when the token's session has ended (the process's mirror of ended sessions
    when it is current; else the session's mark in Redis, cached briefly)."""
    mirror = revocations.mirror_of(redis)
    if mirror is not None and mirror.current():
        return not mirror.has_ended(session_id)
    now = time.monotonic()
    checked_at = _CHECKED.get(session_id)
    if checked_at is not None and now - checked_at < REVOCATION_RECHECK_S:
        return True
    if await redis.exists(keys.session_ended(session_id)):
        _CHECKED.pop(session_id, None)
        return False
    if len(_CHECKED) >= _CHECKED_MAX:
        _CHECKED.clear()
    _CHECKED[session_id] = now
    return True
