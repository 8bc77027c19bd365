"""What the hypothesis state machines over the Lua scripts share: their own event loop and
the project's Redis client (a plain Redis or, with --redis-cluster, the cluster one), and
how a test runs one (no deadline: a step waits on a shared machine's Redis).

Used by the inventory, moves and seat machines in tests/lua; the two general-admission ones
also share their invariants over the section's counters and the accounts' counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, run_state_machine_as_test
from redis.asyncio import Redis

from app.core.redis import create_redis
from app.core.scripts import Scripts

T = TypeVar("T")


class RedisMachine(RuleBasedStateMachine):
    """A state machine whose rules call scripts on the test Redis through `run`."""

    redis_url = ""  # set by run_machine before the run

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.client: Redis = create_redis(self.redis_url, pool_size=4)
        self.scripts = Scripts(self.client)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.client.aclose())
        self.loop.close()


class SaleCountsMachine(RedisMachine):
    """A machine over one general-admission section (`self.sale`: tests.lua.sale.Sale) whose
    model says held(), sold() and seats_of(user): after every step Redis has exactly those,
    conserved, and no account is over the limit."""

    capacity = 0
    users: tuple[str, ...] = ()
    max_per_user = 0
    sale: Any

    def held(self) -> int:
        raise NotImplementedError

    def sold(self) -> int:
        raise NotImplementedError

    def seats_of(self, user: str) -> int:
        raise NotImplementedError

    @invariant()
    def inventory_matches_the_model(self) -> None:
        if not self.sale.session_id:
            return
        inv = self.run(self.sale.inv())
        assert inv["available"] + inv["held"] + inv["sold"] == inv["capacity"] == self.capacity
        assert inv["available"] >= 0
        assert inv["held"] == self.held()
        assert inv["sold"] == self.sold()

    @invariant()
    def accounts_match_the_model(self) -> None:
        if not self.sale.session_id:
            return
        for user in self.users:
            seats = self.run(self.sale.seats(user))
            assert seats == self.seats_of(user)
            assert seats <= self.max_per_user


def run_machine(
    machine: type[RedisMachine],
    redis_url: str,
    *,
    max_examples: int,
    steps: int,
    database: bool = False,
    health_checks: tuple[HealthCheck, ...] = (HealthCheck.too_slow,),
) -> None:
    """Run `machine` against the Redis at `redis_url`; `database`: keep hypothesis's example
    database (replays failures found before)."""
    machine.redis_url = redis_url
    extra: dict[str, Any] = {} if database else {"database": None}
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=list(health_checks),
            **extra,
        ),
    )
