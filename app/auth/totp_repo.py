"""Authenticator secrets and recovery codes in Postgres, through named SQL blocks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TypeAlias

import asyncpg
import msgspec

from app.core.sql import queries

Conn: TypeAlias = "asyncpg.Connection | asyncpg.Pool"


class TotpRow(msgspec.Struct, frozen=True):
    # Exactly one is set: the sealed secret, or (rows from before 0008_totp_sealed, until
    # app.auth.totp_sealing seals them) the plain one.
    sealed_secret: bytes | None
    plain_secret: str | None
    enabled: bool
    last_step: int
    failures: int
    locked_until: datetime | None


async def of_user(conn: Conn, user_id: str) -> TotpRow | None:
    row = await conn.fetchrow(queries.totp_of_user, uuid.UUID(user_id))
    if row is None:
        return None
    return TotpRow(
        sealed_secret=row["sealed_secret"],
        plain_secret=row["plain_secret"],
        enabled=row["enabled_at"] is not None,
        last_step=row["last_step"],
        failures=row["failures"],
        locked_until=row["locked_until"],
    )


async def start_enrolment(conn: Conn, user_id: str, sealed_secret: bytes) -> None:
    await conn.execute(queries.start_totp_enrolment, uuid.UUID(user_id), sealed_secret)


async def plain_secrets(conn: Conn) -> list[tuple[str, str]]:
    """(user id, secret) of every authenticator whose secret is not sealed yet."""
    rows = await conn.fetch(queries.plain_totp_secrets)
    return [(str(r["user_id"]), r["plain_secret"]) for r in rows]


async def seal_secret(conn: Conn, user_id: str, plain_secret: str, sealed_secret: bytes) -> bool:
    """Store the sealed form instead of `plain_secret`; False when the row no longer has it."""
    found = await conn.fetchval(
        queries.seal_totp_secret, uuid.UUID(user_id), plain_secret, sealed_secret
    )
    return found is not None


async def enable(conn: Conn, user_id: str, step: int) -> bool:
    status: str = await conn.execute(queries.enable_totp, uuid.UUID(user_id), step)
    return status.endswith(" 1")


async def accept_step(conn: Conn, user_id: str, step: int) -> bool:
    """True when this step is newer than any used before (a code works once)."""
    return await conn.fetchval(queries.accept_totp_step, uuid.UUID(user_id), step) is not None


async def record_failure(
    conn: Conn, user_id: str, max_failures: int, lock_s: int
) -> datetime | None:
    """Count a wrong code; returns when the lock ends if this failure locked the account."""
    row = await conn.fetchrow(queries.record_totp_failure, uuid.UUID(user_id), max_failures, lock_s)
    return None if row is None else row["locked_until"]


async def reset_failures(conn: Conn, user_id: str) -> None:
    await conn.execute(queries.reset_totp_failures, uuid.UUID(user_id))


async def delete(conn: Conn, user_id: str) -> None:
    await conn.execute(queries.delete_totp, uuid.UUID(user_id))


async def replace_recovery_codes(conn: asyncpg.Connection, user_id: str, hashes: list[str]) -> None:
    await conn.execute(queries.delete_recovery_codes, uuid.UUID(user_id))
    await conn.execute(queries.insert_recovery_codes, uuid.UUID(user_id), hashes)


async def use_recovery_code(conn: Conn, user_id: str, code_hash: str) -> bool:
    return await conn.fetchval(queries.use_recovery_code, uuid.UUID(user_id), code_hash) is not None


async def recovery_codes_left(conn: Conn, user_id: str) -> int:
    return int(await conn.fetchval(queries.recovery_codes_left, uuid.UUID(user_id)))
