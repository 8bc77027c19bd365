"""Enqueueing an arq job with a unique id in one Redis round trip (lua/enqueue_job.lua).

arq's own `enqueue_job` checks and writes under WATCH / MULTI: three round trips on a
connection of its own. The payment jobs are enqueued on the webhook's and the checkout's
request path, so the same check and write go out as one atomic script call instead, and
the calls of concurrent requests share pipeline round trips (app.core.batcher; each call
still atomic). The job is serialized by arq itself and lands in arq's own keys, so workers
see no difference.
"""

from __future__ import annotations

import weakref
from typing import Any

from arq.connections import ArqRedis
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms
from redis.commands.core import AsyncScript

from app.core.batcher import ScriptBatcher
from app.core.scripts import script_sources

_scripts: weakref.WeakKeyDictionary[ArqRedis, AsyncScript] = weakref.WeakKeyDictionary()
_batchers: weakref.WeakKeyDictionary[ArqRedis, ScriptBatcher] = weakref.WeakKeyDictionary()


def _script(arq: ArqRedis) -> AsyncScript:
    script = _scripts.get(arq)
    if script is None:
        script = _scripts[arq] = arq.register_script(script_sources()["enqueue_job"])
    return script


def _batcher(arq: ArqRedis) -> ScriptBatcher:
    batcher = _batchers.get(arq)
    if batcher is None:
        batcher = _batchers[arq] = ScriptBatcher(arq)
    return batcher


async def enqueue_unique(
    arq: ArqRedis,
    function: str,
    *args: Any,
    job_id: str,
    defer_s: float | None = None,
    queue: str | None = None,
) -> bool:
    """Queue `function(*args)` as job `job_id`, due after `defer_s`; False (nothing written)
    when a job of that id is queued, running or finished, as arq's enqueue_job answers None."""
    now = timestamp_ms()
    score = now + (round(defer_s * 1000) if defer_s else 0)
    expires_ms = score - now + arq.expires_extra_ms
    job = serialize_job(function, args, {}, None, now, serializer=arq.job_serializer)
    keys = [job_key_prefix + job_id, result_key_prefix + job_id, queue or arq.default_queue_name]
    argv: list[Any] = [job_id, score, expires_ms, job]
    return bool(await _batcher(arq).run(_script(arq), keys, argv))
