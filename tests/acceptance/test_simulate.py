"""`onsale simulate` end to end: a small onsale against a real API, worker and localstripe.

The command is run as a subprocess, exactly as an operator runs it; it exits
non-zero when an invariant fails, and its summary is checked here too, so a
run that sold nothing (or never finished) cannot pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import asyncpg
import msgspec
import pytest

from app.core.settings import Settings
from devtools.embedded import register_webhook
from tests.support.servers import ROOT, api_process, worker_process

pytestmark = pytest.mark.timeout(120)

FANS = 150
SEATS = 60


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return msgspec.structs.replace(settings, stripe_api_base=stripe_base)


@pytest.mark.slow
async def test_simulate_small_onsale_keeps_every_invariant(
    settings: Settings, stripe_base: str
) -> None:
    with api_process(settings, workers=2) as base, worker_process(settings):
        register_webhook(
            stripe_base, f"{base}/api/v1/webhooks/stripe", settings.stripe_webhook_secret
        )
        env = {**os.environ, **settings.as_env(), "COLUMNS": "200", "NO_COLOR": "1"}
        run = subprocess.run(
            [sys.executable, "-m", "app.cli", "simulate", "--base-url", base,
             "--fans", str(FANS), "--capacity", str(SEATS), "--hold-ttl", "5",
             "--concurrency", "100"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=100,
        )  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    # Every invariant row says yes, none says NO.
    invariants = [ln for ln in out.splitlines() if re.search(r"│\s*(yes|NO)\s*│", ln)]
    assert len(invariants) >= 5, out
    assert all("NO" not in re.split(r"│", ln)[2] for ln in invariants), out
    # The sale really happened: every seat sold (150 fans want 1-4 each for 60 seats)
    # and Postgres agrees with what the summary printed.
    sold = re.search(r"seats sold\s*│\s*(\d+)", out)
    assert sold is not None, out
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch("SELECT event_id, capacity, sold FROM sections")
        tickets = await conn.fetchval("SELECT count(*) FROM tickets WHERE voided_at IS NULL")
    finally:
        await conn.close()
    assert len(rows) == 1
    assert rows[0]["capacity"] == SEATS
    assert int(sold.group(1)) == rows[0]["sold"] == tickets
    assert 0 < rows[0]["sold"] <= SEATS
    assert isinstance(rows[0]["event_id"], uuid.UUID)
