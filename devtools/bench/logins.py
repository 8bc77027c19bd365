"""Logins per second per core: argon2id verification at the production parameters."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from app.core.security import (
    ARGON2_MEMORY_KIB,
    ARGON2_PARALLELISM,
    ARGON2_TIME_COST,
    hash_password,
    verify_password,
)


def _verify_for(stored: str, seconds: float) -> int:
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        verify_password(stored, "bench password")
        done += 1
    return done


def run(seconds: float = 5.0) -> dict[str, Any]:
    """One thread (one core) and one thread per CPU (argon2 releases the GIL)."""
    stored = hash_password("bench password")
    one = _verify_for(stored, seconds) / seconds
    cpus = os.cpu_count() or 1
    with ThreadPoolExecutor(cpus) as pool:
        counts = list(pool.map(lambda _: _verify_for(stored, seconds), range(cpus)))
    all_cores = sum(counts) / seconds
    return {
        "parameters": f"argon2id m={ARGON2_MEMORY_KIB} KiB, t={ARGON2_TIME_COST}, "
        f"p={ARGON2_PARALLELISM}",
        "logins_per_s_one_core": round(one, 1),
        "ms_per_login": round(1000 / one, 1) if one else None,
        "cpus": cpus,
        "logins_per_s_all_cores": round(all_cores, 1),
        "logins_per_s_per_core": round(all_cores / cpus, 1),
    }
