"""HTTP observability: request id, per-route metrics and one JSON access-log line per request.

It wraps the application's whole ASGI handler (outside routing), so it also
sees requests no route matched (label route="unmatched") and errors the
exception handlers turned into problem responses. The route label is the
route TEMPLATE ("/api/v1/holds/{hold_id}"), never the raw path, so its
cardinality is the number of routes.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from typing import Any

from app.core.logs import REQUEST_ID
from app.core.metrics import HTTP_LATENCY, HTTP_REQUESTS

Scope = dict[str, Any]
ASGIApp = Any

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is kept only when it is short and plain (it lands in logs).
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._:@/+=-]{1,128}$")
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

access_log = logging.getLogger("onsale.access")

# Generated request ids: 32 hex digits, a random per-process prefix and a
# counter (unique without a urandom syscall per request, which the hot path
# felt in the profile).
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count(int.from_bytes(os.urandom(4), "big"))
# Label children by label values: .labels() hashes and locks on every call.
_REQUESTS: dict[tuple[str, str, int], Any] = {}
_LATENCY: dict[tuple[str, str], Any] = {}


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER:
            if _SAFE_ID.match(value):
                return str(value.decode("ascii"))
            break
    return f"{_ID_PREFIX}{next(_ID_COUNTER) & 0xFFFFFFFFFFFFFFFF:016x}"


def _observe(route: str, method: str, status: int, elapsed: float) -> None:
    counter = _REQUESTS.get((route, method, status))
    if counter is None:
        counter = _REQUESTS[(route, method, status)] = HTTP_REQUESTS.labels(
            route, method, str(status)
        )
    latency = _LATENCY.get((route, method))
    if latency is None:
        latency = _LATENCY[(route, method)] = HTTP_LATENCY.labels(route, method)
    counter.inc()
    latency.observe(elapsed)


class HttpObservability:
    """ASGI middleware: X-Request-ID in and out, metrics, access log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = REQUEST_ID.set(request_id)
        header = (REQUEST_ID_HEADER, request_id.encode("ascii"))
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("path_template") or UNMATCHED
            method = scope.get("method", "GET")
            if method not in METHODS:
                method = "OTHER"
            _observe(route, method, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "fields": {
                            "request_id": request_id,
                            "method": method,
                            "route": route,
                            "path": scope.get("path", ""),
                            "status": status,
                            "duration_ms": round(elapsed * 1000, 3),
                        }
                    },
                )
            REQUEST_ID.reset(token)


def install(app: Any) -> None:
    """Wrap a Litestar app's ASGI handler (outside its router and exception handlers)."""
    app.asgi_handler = HttpObservability(app.asgi_handler)
