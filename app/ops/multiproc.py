"""Prometheus multiprocess mode for `onsale api --workers N`.

Each uvicorn worker is its own process with its own counters; a scrape reaches
one of them. With N > 1, every worker writes its metrics to memory-mapped
files in PROMETHEUS_MULTIPROC_DIR and whichever worker answers /metrics sums
them (app.core.metrics.exposition). The folder must start empty on each start
(stale files would add old counts), so this makes a fresh one, or empties the
one an operator named, and removes what it created on exit.

This module sets prometheus_client's own environment variable before the
workers start (they inherit it); it is not an Onsale setting.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextlib.contextmanager
def multiprocess_metrics(workers: int) -> Iterator[str | None]:
    """Yield the metrics folder in use (None for a single process)."""
    if workers <= 1:
        yield None
        return
    named = os.environ.get(ENV)
    if named:
        folder = Path(named)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        yield str(folder)
        return
    created = tempfile.mkdtemp(prefix="onsale-metrics-")
    os.environ[ENV] = created
    try:
        yield created
    finally:
        os.environ.pop(ENV, None)
        shutil.rmtree(created, ignore_errors=True)
