"""Idempotency-Key support for every POST: a retry gets the first response, once.

Rules (API.md): the same key with the same body returns the first response, also
when the two requests race; the same key with another body is 409
`idempotency_conflict`. Records live in Redis for IDEMPOTENCY_TTL_MS (> 24 h),
under the event's hash tag when the path names an event (or a hold, whose id
carries its event), else under a global key. Keys are scoped per caller
(the access token's user, or anonymous) and per path, so two accounts never
share a key.

Security: the body fingerprint is an HMAC under the secret key (a plain hash
of a body lets anyone who reads Redis test guesses of what it held), the
body is read under the size limit (app.core.bodyguard) and never past it,
and responses of /api/v1/auth/* are never stored: a login or refresh answer
holds tokens that must not be replayed from Redis to whoever repeats the key.

How: the first request claims the key with SET NX (state `pending`, a short
lease), runs, and stores its response; a racing duplicate waits for that
response and replays it (header `Idempotent-Replayed: true`). Responses with a
5xx status or 429 are not recorded (the key is freed and a retry runs again):
nothing decided happened. Every other response is the request's outcome and
is replayed.

POST /holds records its outcome inside the hold script itself (one Redis round
trip per hold), so its handler opts out with `opt={OPT_NATIVE: True}`; the
helpers `check_key` and `IDEMPOTENCY_TTL_MS` are shared with it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
import redis.exceptions
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.core import keys
from app.core.bodyguard import MAX_BODY_BYTES, read_body, replaying
from app.core.errors import AppError, invalid
from app.core.metrics import IDEMPOTENCY_RECORD_FAILURES
from app.core.security import hmac_sign, read_access_token

HEADER = "Idempotency-Key"
_HEADER_BYTES = b"idempotency-key"
IDEMPOTENCY_TTL_MS = 25 * 3600 * 1000
# Tries to record an outcome whose answer already went out (a pool wait, a blip).
_RECORD_TRIES = 3

log = logging.getLogger("onsale.idempotency")
MAX_KEY_LENGTH = 255
# How long a claimed key waits for its first request before a duplicate may run.
PENDING_LEASE_MS = 60_000
WAIT_FOR_FIRST_S = 30.0
# Handlers that record idempotency themselves set this opt key.
OPT_NATIVE = "idempotency_native"
_REPLAYED_HEADER = (b"idempotent-replayed", b"true")
_KEPT_HEADERS = {b"content-type", b"location", b"retry-after"}
# Answers under these paths carry credentials: never stored, never replayed.
NEVER_STORED_PREFIXES = ("/api/v1/auth/",)


def fingerprint(secret: str, query: bytes, body: bytes) -> str:
    """Keyed digest of the request: equal requests match, and Redis learns nothing of the body."""
    return hmac_sign(secret, "idempotency-fingerprint", query + b"\0" + body).hex()


def check_key(value: str) -> str:
    """The Idempotency-Key as given, or 422 invalid_request when it is unusable."""
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not value.isprintable():
        raise invalid(HEADER, f"must be 1 to {MAX_KEY_LENGTH} printable characters")
    return value


def conflict() -> AppError:
    return AppError(
        "idempotency_conflict",
        409,
        "Idempotency key reused",
        "This Idempotency-Key was used with a different request body",
    )


def in_progress() -> AppError:
    return AppError(
        "idempotency_conflict",
        409,
        "Request in progress",
        "The first request with this Idempotency-Key is still running; retry shortly",
        headers={"Retry-After": "1"},
    )


class Record(msgspec.Struct, omit_defaults=True):
    """What Redis keeps per key: the body fingerprint, then the first response."""

    fp: str
    state: str = "pending"
    status: int = 0
    headers: list[tuple[str, str]] = msgspec.field(default_factory=list)
    body: str = ""


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Record).decode


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _caller(scope: Scope, secret: str) -> str:
    auth = _header(scope, b"authorization")
    if auth:
        scheme, _, token = auth.decode("latin-1").partition(" ")
        if scheme.lower() == "bearer" and token:
            principal = read_access_token(secret, token.strip())
            if principal is not None:
                return principal.user_id
    return "anon"


def default_event_of(path_params: Mapping[str, Any]) -> str | None:
    value = path_params.get("event_id")
    return value if isinstance(value, str) else None


class IdempotencyMiddleware(ASGIMiddleware):
    """Replays the first response of a POST retried with the same Idempotency-Key."""

    scopes = (ScopeType.HTTP,)
    exclude_opt_key = OPT_NATIVE

    def __init__(
        self,
        event_of: Callable[[Mapping[str, Any]], str | None] = default_event_of,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.event_of = event_of
        self.max_body_bytes = max_body_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        raw = _header(scope, _HEADER_BYTES) if scope.get("method") == "POST" else None
        if raw is None or str(scope["path"]).startswith(NEVER_STORED_PREFIXES):
            await next_app(scope, receive, send)
            return
        key = check_key(raw.decode("latin-1"))
        state = scope["app"].state
        redis = state.resources.redis
        secret = state.settings.secret_key
        body = await read_body(scope, receive, self.max_body_bytes)
        receive = replaying(body, receive)
        fp = fingerprint(secret, scope.get("query_string", b""), body)
        caller = _caller(scope, secret)
        record_scope = f"{caller}:{scope['path']}"
        event_id = self.event_of(scope.get("path_params") or {})
        redis_key = (
            keys.idempotency(event_id, record_scope, key)
            if event_id
            else keys.global_idempotency(record_scope, key)
        )
        deadline = time.monotonic() + WAIT_FOR_FIRST_S
        delay = 0.005
        while True:
            claimed = await redis.set(
                redis_key, _encode(Record(fp=fp)), nx=True, px=PENDING_LEASE_MS
            )
            if claimed:
                await self._run_first(redis, redis_key, fp, scope, receive, send, next_app)
                return
            stored = await redis.get(redis_key)
            if stored is None:
                continue  # the first request failed or its lease ran out: claim again
            record = _decode(stored)
            if record.fp != fp:
                raise conflict()
            if record.state == "done":
                await _replay(record, send)
                return
            if time.monotonic() > deadline:
                raise in_progress()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def _run_first(
        self,
        redis: Any,
        redis_key: str,
        fp: str,
        scope: Scope,
        receive: Receive,
        send: Send,
        next_app: ASGIApp,
    ) -> None:
        status = 0
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if bytes(name).lower() in _KEPT_HEADERS:
                        headers.append(
                            (bytes(name).decode("latin-1"), bytes(value).decode("latin-1"))
                        )
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
            await send(message)

        try:
            await next_app(scope, receive, capture)
        except BaseException:
            await redis.delete(redis_key)
            raise
        if status >= 500 or status in (0, 429):
            await redis.delete(redis_key)
            return
        try:
            text = b"".join(chunks).decode("utf-8")
        except UnicodeDecodeError:
            await redis.delete(redis_key)
            return
        done = Record(fp=fp, state="done", status=status, headers=headers, body=text)
        await _record_outcome(redis, redis_key, done)


async def _record_outcome(client: Any, redis_key: str, done: Record) -> None:
    """Store the outcome of a request whose answer has already gone out.

    Raising here would break a delivered answer (the server can only drop the
    connection), so a Redis that cannot take the record now (its pool busy under load,
    a blip) is tried again briefly; after that the pending lease runs out and a retry
    runs the request again, as after a lost first attempt."""
    for attempt in range(_RECORD_TRIES):
        try:
            await client.set(redis_key, _encode(done), px=IDEMPOTENCY_TTL_MS)
            return
        except (TimeoutError, redis.exceptions.RedisError, OSError):
            if attempt + 1 == _RECORD_TRIES:
                log.error("idempotency outcome not recorded for %s", redis_key)
                IDEMPOTENCY_RECORD_FAILURES.inc()
                return
            await asyncio.sleep(0.05 * (attempt + 1))


async def _replay(record: Record, send: Send) -> None:
    body = record.body.encode("utf-8")
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record.headers]
    headers.append(_REPLAYED_HEADER)
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": record.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
