"""Loads lua/*.lua once and registers every script with a redis-py client.

Nobody calls EVAL/EVALSHA by hand: `register_script` already does EVALSHA with
a SCRIPT LOAD fallback (also after a Redis restart or failover). The features
reach their scripts only through one typed wrapper each (app.holds.scripts,
waiting_room.scripts, app.events.mirror), which builds the KEYS and maps the
result codes to enums; `view` gives the wrapper of this client, built once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from app.core.batcher import ScriptBatcher

V = TypeVar("V")


@cache
def script_sources() -> dict[str, str]:
    """name (file stem) -> Lua source of every script shipped in the lua package."""
    out: dict[str, str] = {}
    for entry in resources.files("lua").iterdir():
        if entry.name.endswith(".lua"):
            out[entry.name.removesuffix(".lua")] = entry.read_text()
    return out


class Scripts:
    """The registered scripts of one Redis client."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(source) for name, source in script_sources().items()
        }
        self._batcher: ScriptBatcher | None = None
        self._views: dict[Any, Any] = {}

    def get(self, name: str) -> AsyncScript:
        return self._scripts[name]

    def view(self, kind: Callable[[Scripts], V]) -> V:
        """The typed wrapper `kind(self)`, built once per client."""
        found = self._views.get(kind)
        if found is None:
            found = self._views[kind] = kind(self)
        result: V = found
        return result

    async def call(
        self, script: AsyncScript, keys: list[str], args: list[Any], client: Any = None
    ) -> Any:
        """Run one script; `client` may be a pipeline to send several calls at once."""
        return await script(keys=keys, args=args, client=client)

    async def call_batched(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        """Run one script, sharing a pipeline round trip with concurrent calls (hot paths)."""
        if self._batcher is None:
            self._batcher = ScriptBatcher(self.redis)
        return await self._batcher.run(script, keys, args)

    async def run(self, name: str, keys: list[str], args: list[Any], client: Any = None) -> Any:
        """Run a script by file name: the Lua tests' way in, below the typed wrappers."""
        return await self.call(self._scripts[name], keys, args, client)
