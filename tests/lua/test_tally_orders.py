"""lua/tally_orders.lua: the console's order figures count each outcome of each order once,
whoever reports it and in whatever order (live jobs, their retries, a seed from the record)."""

from __future__ import annotations

import itertools
import uuid

from app.core import keys
from app.core.clock import now_ms
from app.core.scripts import Scripts

Entry = tuple[str, str, int, int]


async def _count(scripts: Scripts, event_id: str, entries: list[Entry], seed: bool = False) -> int:
    args: list[str | int] = [now_ms(), 1 if seed else 0]
    for entry in entries:
        args += list(entry)
    tally_keys = [
        keys.order_tally(event_id),
        keys.order_tally_seen(event_id),
        keys.orders_recent(event_id),
    ]
    return int(await scripts.run("tally_orders", tally_keys, args))


async def _figures(scripts: Scripts, event_id: str) -> tuple[int, int, int]:
    confirmed, revenue, refunds = await scripts.redis.hmget(  # type: ignore[misc]
        keys.order_tally(event_id), ["confirmed", "revenue_cents", "refunds"]
    )
    return int(confirmed or 0), int(revenue or 0), int(refunds or 0)


async def test_each_outcome_of_each_order_counts_once(scripts: Scripts) -> None:
    event_id = str(uuid.uuid4())
    now = now_ms()
    assert await _count(scripts, event_id, [("c", "o1", 5000, now)]) == 1
    assert await _count(scripts, event_id, [("c", "o1", 5000, now)]) == 0  # a retried job
    assert await _count(scripts, event_id, [("c", "o2", 7000, now)]) == 1
    assert await _figures(scripts, event_id) == (2, 12000, 0)
    assert await _count(scripts, event_id, [("r", "o1", 5000, 0)]) == 1
    assert await _count(scripts, event_id, [("r", "o1", 5000, 0)]) == 0
    assert await _figures(scripts, event_id) == (1, 7000, 1)
    recent = await scripts.redis.zrange(keys.orders_recent(event_id), 0, -1)
    assert sorted(recent) == ["o1", "o2"]
    # Not seeded by live reports: the first read still counts the record in.
    assert await scripts.redis.hget(keys.order_tally(event_id), "seeded") is None


async def test_live_reports_and_a_seed_in_any_order_give_the_same_figures(
    scripts: Scripts,
) -> None:
    """Three orders: a confirmed one, a refunded one, and one the seed does not know yet
    (confirmed just after the record was read). Every interleaving ends the same."""
    now = now_ms()
    live: list[list[Entry]] = [
        [("c", "a", 1000, now)],
        [("c", "b", 2000, now)],
        [("r", "b", 2000, 0)],
        [("c", "late", 4000, now)],
    ]
    seed: list[Entry] = [("c", "a", 1000, now), ("c", "b", 2000, now), ("r", "b", 2000, 0)]
    seen = set()
    for order in itertools.permutations(range(len(live) + 1)):
        event_id = str(uuid.uuid4())
        for step in order:
            if step == len(live):
                await _count(scripts, event_id, seed, seed=True)
            else:
                await _count(scripts, event_id, live[step])
        seen.add(await _figures(scripts, event_id))
        assert await scripts.redis.hget(keys.order_tally(event_id), "seeded") == "1"
    assert seen == {(2, 5000, 1)}


async def test_old_confirmations_leave_the_recent_window(scripts: Scripts) -> None:
    event_id = str(uuid.uuid4())
    now = now_ms()
    await _count(scripts, event_id, [("c", "old", 100, now - 600_000), ("c", "new", 100, now)])
    assert await scripts.redis.zrange(keys.orders_recent(event_id), 0, -1) == ["new"]
    assert await _figures(scripts, event_id) == (2, 200, 0)
