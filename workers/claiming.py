"""arq's Worker, claiming the jobs of one poll in one Redis call (lua/claim_jobs.lua).

arq claims each job it starts with a WATCH / EXISTS / ZSCORE / MULTI PSETEX
EXEC / UNWATCH transaction: four round trips per job, the largest share of a
finalize worker's CPU after the Stripe calls once those were cheap (socket
writes on both ends; devtools/bench finalize profile). The script applies the
same rule to every job id of the poll at once, atomically: a job runs only if
no worker has it in progress and it is still queued and due; the in-progress
key gets arq's own timeout. The concurrency limit (max_jobs, the semaphore) is
taken before the claim, as arq does.

The jobs' own start and finish transactions (arq's run_job and finish_job) are
shared by the jobs running at once: workers/transactions.py.
"""

from __future__ import annotations

import logging
from typing import Any

from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker
from redis.commands.core import AsyncScript

from app.core.scripts import script_sources
from workers.transactions import share_transactions

logger = logging.getLogger("arq.worker")


class ClaimingWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._claim_script: AsyncScript | None = None

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        share_transactions(self.pool)
        wanted: list[str] = []
        try:
            for job_id_b in job_ids:
                await self.sem.acquire()
                if self.job_counter >= self.max_jobs:
                    self.sem.release()
                    break
                self.job_counter += 1
                wanted.append(job_id_b.decode())
        except BaseException:  # cancelled while waiting for a slot (shutdown)
            self._give_back(len(wanted))
            raise
        if not wanted:
            return
        try:
            scores = await self._claim(wanted)
        except BaseException:
            self._give_back(len(wanted))
            raise
        for job_id, score in zip(wanted, scores, strict=True):
            if not score:
                # Already running elsewhere, finished, or re-enqueued for later.
                self._give_back(1)
                logger.debug("job %s already running elsewhere", job_id)
                continue
            task = self.loop.create_task(self.run_job(job_id, int(float(score))))
            task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
            self.tasks[job_id] = task

    async def _claim(self, job_ids: list[str]) -> list[Any]:
        if self._claim_script is None:
            self._claim_script = self.pool.register_script(script_sources()["claim_jobs"])
        script = self._claim_script
        keys = [self.queue_name, *(in_progress_key_prefix + j for j in job_ids)]
        args: list[str | int] = [timestamp_ms(), int(self.in_progress_timeout_s * 1000), *job_ids]
        return list(await script(keys=keys, args=args))

    def _give_back(self, n: int) -> None:
        self.job_counter -= n
        for _ in range(n):
            self.sem.release()
