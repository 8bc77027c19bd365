"""What the hypothesis state machines over the Lua scripts share: their own event loop and
the project's Redis client (a plain Redis or, with --redis-cluster, the cluster one), and
how a test runs one (no deadline: a step waits on a shared machine's Redis).

Used by the inventory, moves and seat machines in tests/lua.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test
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
