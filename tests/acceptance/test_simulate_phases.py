"""`onsale simulate --phases` end to end: a presale for code holders, then the general sale,
against a real API, worker and localstripe, each phase's invariants checked at its end.

Run as a subprocess, as an operator runs it; its exit code and its summary are both
checked, and Postgres is read here too, so a run that sold nothing cannot pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import asyncpg
import msgspec
import pytest

from app.core.settings import Settings
from devtools.embedded import register_webhook
from tests.support.servers import ROOT, api_process, worker_process

pytestmark = pytest.mark.timeout(120)

FANS = 30
SEATS = 24


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return msgspec.structs.replace(settings, stripe_api_base=stripe_base)


@pytest.mark.slow
async def test_simulate_phases_keeps_every_invariant_per_phase(
    settings: Settings, stripe_base: str
) -> None:
    with api_process(settings, workers=1) as base, worker_process(settings):
        register_webhook(
            stripe_base, f"{base}/api/v1/webhooks/stripe", settings.stripe_webhook_secret
        )
        env = {**os.environ, **settings.as_env(), "COLUMNS": "220", "NO_COLOR": "1"}
        run = subprocess.run(
            [sys.executable, "-m", "app.cli", "simulate", "--phases", "--base-url", base,
             "--fans", str(FANS), "--capacity", str(SEATS), "--hold-ttl", "5",
             "--concurrency", "40", "--presale-s", "8"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=100,
        )  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    rows = [ln for ln in out.splitlines() if re.search(r"│\s*(yes|NO)\s*│", ln)]
    presale = [ln for ln in rows if "presale ·" in ln]
    general = [ln for ln in rows if "general ·" in ln]
    # The sale's five invariants and the phase's own, at the end of each phase.
    assert len(presale) == 8, out
    assert len(general) == 8, out
    assert all(re.split(r"│", ln)[2].strip() == "yes" for ln in rows), out
    conn = await asyncpg.connect(settings.database_url)
    try:
        sold = dict(await conn.fetch("SELECT code, sold FROM sections"))
        tickets = await conn.fetchval("SELECT count(*) FROM tickets WHERE voided_at IS NULL")
        phases = await conn.fetchval("SELECT count(*) FROM event_phases")
        entrants = await conn.fetchval("SELECT count(*) FROM phase_queue_entrants")
    finally:
        await conn.close()
    assert phases == 2
    assert 0 < sum(sold.values()) == tickets <= SEATS
    assert sold["FLOOR"] > 0, sold
    assert sold["BALCONY"] > 0, sold
    assert entrants > 0, out  # the general sale's own pre-queue was drawn
