"""The hold done the way a Postgres-only shop does it, for the holds benchmark.

Same HTTP shape as Onsale's POST /api/v1/events/{event_id}/holds (Litestar on
uvicorn, msgspec body, JWT bearer checked on the CPU), but the decision is one
Postgres transaction on one hot row:

    UPDATE pg_sections SET available = available - $q
    WHERE id = $1 AND available >= $q RETURNING available;
    INSERT INTO pg_holds (...) VALUES (...);

`onsale bench --scenario holds_pg` starts it (devtools/bench/holds_pg.py) with the
same uvicorn settings as the API and the same wrk requests as `holds`.
Standalone (imports nothing of the app). Configuration from the environment:
BENCH_PG_URL (database), BENCH_SECRET (JWT HS256 key), BENCH_POOL_SIZE
(asyncpg connections per process, default 2: bigger pools only add lock
waiters on the hot row). Tables: `python loadtest/pg_hold_server.py setup
SECTION_ID SEATS` creates them; serve with

    uvicorn --factory loadtest.pg_hold_server:create_app --workers N
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import asyncpg
import jwt
import msgspec
from litestar import Litestar, Request, Response, post

SCHEMA = """
CREATE TABLE IF NOT EXISTS pg_sections (
    id        text PRIMARY KEY,
    available integer NOT NULL CHECK (available >= 0)
);
CREATE TABLE IF NOT EXISTS pg_holds (
    hold_id    uuid PRIMARY KEY,
    section_id text NOT NULL,
    user_id    text NOT NULL,
    quantity   integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
"""
TAKE = (
    "UPDATE pg_sections SET available = available - $2 "
    "WHERE id = $1 AND available >= $2 RETURNING available"
)
RECORD = (
    "INSERT INTO pg_holds (hold_id, section_id, user_id, quantity, expires_at) "
    "VALUES ($1, $2, $3, $4, $5)"
)
HOLD_TTL = timedelta(minutes=10)


class HoldIn(msgspec.Struct):
    section: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100)]


class Hold(msgspec.Struct):
    hold_id: str
    event_id: str
    section: str
    quantity: int
    status: str
    expires_at: datetime


def _problem(status: int, code: str) -> Response[dict[str, Any]]:
    return Response(
        {"status": status, "code": code, "title": code},
        status_code=status,
        media_type="application/problem+json",
    )


# Verified tokens until their expiry, as Onsale's API keeps them (same CPU per request).
_VERIFIED: dict[str, tuple[str, float]] = {}


def _verified_user(token: str, secret: str) -> str | None:
    cached = _VERIFIED.get(token)
    if cached is not None and cached[1] > time.time():
        return cached[0]
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience="onsale:access")
    except jwt.PyJWTError:
        return None
    _VERIFIED[token] = (str(claims["sub"]), float(claims["exp"]))
    return str(claims["sub"])


@post("/api/v1/events/{event_id:str}/holds", status_code=201)
async def create_hold(
    event_id: str, data: HoldIn, request: Request[Any, Any, Any]
) -> Response[Any]:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    user_id = _verified_user(token, request.app.state.secret)
    if user_id is None:
        return _problem(401, "unauthorized")
    pool: asyncpg.Pool = request.app.state.pool
    section_id = f"{event_id}:{data.section}"
    hold_id = uuid.uuid4()
    expires_at = datetime.now(UTC) + HOLD_TTL
    async with pool.acquire() as conn, conn.transaction():
        left = await conn.fetchval(TAKE, section_id, data.quantity)
        if left is None:
            return _problem(409, "sold_out")
        await conn.execute(RECORD, hold_id, section_id, user_id, data.quantity, expires_at)
    hold = Hold(str(hold_id), event_id, data.section, data.quantity, "active", expires_at)
    return Response(hold, status_code=201)


def create_app() -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        size = int(os.environ.get("BENCH_POOL_SIZE", "2"))
        pool = await asyncpg.create_pool(os.environ["BENCH_PG_URL"], min_size=size, max_size=size)
        app.state.pool = pool
        app.state.secret = os.environ["BENCH_SECRET"]
        try:
            yield
        finally:
            await pool.close()

    return Litestar(route_handlers=[create_hold], lifespan=[lifespan], debug=False)


async def setup(url: str, section_id: str, seats: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SCHEMA)
        await conn.execute(
            "INSERT INTO pg_sections (id, available) VALUES ($1, $2) "
            "ON CONFLICT (id) DO UPDATE SET available = EXCLUDED.available",
            section_id,
            seats,
        )
    finally:
        await conn.close()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "setup":
        sys.exit("usage: BENCH_PG_URL=... pg_hold_server.py setup SECTION_ID SEATS")
    started = time.monotonic()
    asyncio.run(setup(os.environ["BENCH_PG_URL"], sys.argv[2], int(sys.argv[3])))
    print(f"ready in {time.monotonic() - started:.2f} s")
