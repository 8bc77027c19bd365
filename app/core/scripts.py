"""Loads lua/*.lua once and registers every script with a redis-py client.

Nobody calls EVAL/EVALSHA by hand: `register_script` already does EVALSHA with
a SCRIPT LOAD fallback (also after a Redis restart or failover). The features
reach their scripts only through one typed wrapper each (app.holds.scripts,
waiting_room.scripts, app.events.mirror), which builds the KEYS and maps the
result codes to enums; `view` gives the wrapper of this client, built once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from app.core.batcher import ScriptBatcher

V = TypeVar("V")


# A fragment (lua/_name.lua: Lua shared by several scripts, e.g. _rate_window.lua)
# goes in place of this line; Redis scripts cannot load code of their own.
_INCLUDE = re.compile(r"^-- include: (_\w+\.lua)$", re.MULTILINE)


@cache
def script_sources() -> dict[str, str]:
    """name (file stem) -> Lua source of every script shipped in the lua package."""
    files = {
        entry.name: entry.read_text()
        for entry in resources.files("lua").iterdir()
        if entry.name.endswith(".lua")
    }
    return {
        name.removesuffix(".lua"): _INCLUDE.sub(lambda m: files[m.group(1)], text)
        for name, text in files.items()
        if not name.startswith("_")
    }


class ScriptPipeline:
    """A non-transactional pipeline of plain commands and script calls, one round trip.

    Script calls go out as EVALSHA. A node that does not know a script (a
    Redis restarted or flushed, or a cluster replica just promoted: scripts
    are not replicated) answers NOSCRIPT; those calls then run again, in
    order, through `register_script`'s EVALSHA-with-SCRIPT-LOAD fallback.
    `commands` is the redis-py pipeline for the plain commands.
    """

    def __init__(self, redis: Redis) -> None:
        self.commands = redis.pipeline(transaction=False)
        self._calls: dict[int, tuple[AsyncScript, list[str], list[Any]]] = {}

    def script(self, script: AsyncScript, keys: list[str], args: list[Any]) -> None:
        self._calls[len(self.commands)] = (script, keys, args)
        # Not `.evalsha()`: redis-py blocks that method in cluster pipelines,
        # though the command routes by its keys like any other.
        self.commands.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)

    async def execute(self) -> list[Any]:
        results: list[Any] = await self.commands.execute(raise_on_error=False)
        for index, result in enumerate(results):
            if isinstance(result, NoScriptError) and index in self._calls:
                script, keys, args = self._calls[index]
                results[index] = result = await script(keys=keys, args=args)
            if isinstance(result, Exception):
                raise result
        return results


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

    def pipeline(self) -> ScriptPipeline:
        """A pipeline for several script calls and commands (works on a Redis Cluster too)."""
        return ScriptPipeline(self.redis)

    async def call(
        self,
        script: AsyncScript,
        keys: list[str],
        args: list[Any],
        client: ScriptPipeline | None = None,
    ) -> Any:
        """Run one script; or, given a `ScriptPipeline`, queue it there (returns None)."""
        if client is not None:
            client.script(script, keys, args)
            return None
        return await script(keys=keys, args=args)

    async def call_batched(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        """Run one script, sharing a pipeline round trip with concurrent calls (hot paths)."""
        if self._batcher is None:
            self._batcher = ScriptBatcher(self.redis)
        return await self._batcher.run(script, keys, args)

    async def command_batched(self, *command: Any) -> Any:
        """A plain command sharing the same pipeline round trips as `call_batched`; its raw
        reply (a hash read answers a flat list of fields and values on RESP2)."""
        if self._batcher is None:
            self._batcher = ScriptBatcher(self.redis)
        return await self._batcher.command(*command)

    async def run(
        self, name: str, keys: list[str], args: list[Any], client: ScriptPipeline | None = None
    ) -> Any:
        """Run a script by file name: the Lua tests' way in, below the typed wrappers."""
        return await self.call(self._scripts[name], keys, args, client)
