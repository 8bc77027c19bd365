"""Loads lua/*.lua once, registers them with redis-py, one typed wrapper per script.

Nobody calls EVAL/EVALSHA by hand: `register_script` already does EVALSHA with
a SCRIPT LOAD fallback (also after a Redis restart or failover). Business
outcomes come back from the scripts as integer codes that the feature
services map to AppError. `run_batched` hands a call to app.core.batcher,
which pipelines the registered scripts' EVALSHA with the same fallback.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from app.core.batcher import ScriptBatcher


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

    def get(self, name: str) -> AsyncScript:
        return self._scripts[name]

    async def run(self, name: str, keys: list[str], args: list[Any], client: Any = None) -> Any:
        """Run one script; `client` may be a pipeline to batch several calls."""
        return await self._scripts[name](keys=keys, args=args, client=client)

    async def run_batched(self, name: str, keys: list[str], args: list[Any]) -> Any:
        """Run one script, sharing a pipeline round trip with concurrent calls (hot paths)."""
        if self._batcher is None:
            self._batcher = ScriptBatcher(self.redis)
        return await self._batcher.run(self._scripts[name], keys, args)
