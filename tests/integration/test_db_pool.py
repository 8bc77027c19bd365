"""The asyncpg pool's release: no reset round trip, and still nothing left half-done."""

from __future__ import annotations

from asyncpg.connection import LoggedQuery

from app.core.db import create_pool


async def test_a_release_sends_no_reset_query_and_rolls_back_what_was_left_open(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, size=1)
    sent: list[str] = []

    def log(query: LoggedQuery) -> None:
        sent.append(query.query)

    try:
        async with pool.acquire() as conn:
            conn.add_query_logger(log)
            await conn.execute("CREATE TABLE pool_probe (n int)")
            # A transaction left open by a failed caller: the release must not keep it.
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO pool_probe VALUES (1)")
        # Released: asyncpg rolled back the open transaction, and nothing else was sent
        # (its default reset is `SELECT pg_advisory_unlock_all(); CLOSE ALL; ...`).
        assert [q for q in sent if "RESET ALL" in q or "pg_advisory_unlock_all" in q] == []
        assert "ROLLBACK" in sent
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM pool_probe") == 0
            assert await conn.fetchval("SELECT pg_current_xact_id_if_assigned()") is None
    finally:
        await pool.close()
