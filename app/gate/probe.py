"""Measuring the protected origin: one GET, its latency and whether it answered below 500."""

from __future__ import annotations

import time

import httpx


async def measure(url: str, slow_ms: int) -> tuple[float, bool]:
    """(latency in ms, answered below 500). The wait is cut at the threshold: a sample that
    long is slow whatever came after, and the gate should know at once. A refused connection
    or a 5xx is a failure; a cut wait is slow, not failed."""
    start = time.perf_counter()
    try:
        async with httpx.AsyncClient(timeout=slow_ms / 1000, follow_redirects=False) as client:
            response = await client.get(url, headers={"User-Agent": "onsale-room-probe"})
    except httpx.TimeoutException:
        return max((time.perf_counter() - start) * 1000, slow_ms), True
    except httpx.HTTPError:
        return (time.perf_counter() - start) * 1000, False
    return (time.perf_counter() - start) * 1000, response.status_code < 500
