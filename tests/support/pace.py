"""How busy the machine is now, for the few tests that bound a product's latency.

Speed itself is measured by `onsale bench`. A test that keeps a latency promise (a payment
confirmed within seconds) scales its bound by the load it runs under: the suite runs on
parallel workers, so a test always shares the machine, and a bound that holds on an idle
machine would fail on a busy one without any change in the code.
"""

from __future__ import annotations

import os


def load_factor() -> float:
    """Runnable tasks per core over the last minute, at least 1: a load average of 4 on
    2 cores gives 2 (each task gets about half a core, so waits about twice as long)."""
    return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
