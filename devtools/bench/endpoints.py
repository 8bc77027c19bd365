"""The framework-ceiling endpoint: decode a small msgspec body and return it.

Mounted only with ONSALE_BENCH_ENDPOINTS=true; `onsale bench` compares every
real route against it to see how much of the framework's ceiling it keeps.
"""

from __future__ import annotations

import msgspec
from litestar import post


class Echo(msgspec.Struct):
    section: str
    quantity: int


@post(
    "/api/v1/_bench/echo",
    operation_id="benchEcho",
    include_in_schema=False,
    status_code=200,
    sync_to_thread=False,
)
def echo(data: Echo) -> Echo:
    return data


ROUTES = [echo]
