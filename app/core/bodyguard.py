"""Strict input for every request body, checked before anything buffers or parses it.

- Size: Content-Length over the limit is 413 before a byte is read; a streamed
  body is counted while it arrives and refused at the limit (never buffered
  past it).
- Shape: JSON nested deeper than MAX_DEPTH, and control characters in strings
  (NUL and the other C0/C1 controls except tab, newline and carriage return),
  are 400 `invalid_request`.
- Types: the handler's `data` type is decoded strictly (msgspec `strict=True`):
  `"2"` is not the integer 2, as the contract says JSON integers.

The checked body is handed on unchanged, so the handler and the idempotency
middleware read it as usual.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.core import rules
from app.core.errors import AppError, FieldError, invalid_fields, validation_error

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32
# A JSON \u escape of a C0 control other than \t \n \r, DEL, or a C1 control,
# not itself escaped by a backslash (an even run of backslashes before it).
_CONTROL_ESCAPE = re.compile(
    rb"(?:^|[^\\])(?:\\\\)*\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])"
)
# Control characters that JSON can carry as raw UTF-8 (C1 range U+0080-U+009F).
_RAW_C1 = re.compile(rb"\xc2[\x80-\x9f]")


def too_large(limit: int) -> AppError:
    return AppError(
        "invalid_request",
        413,
        "Request too large",
        f"The request body is larger than {limit} bytes",
        errors=[FieldError(field="body", message=f"at most {limit} bytes", rule=rules.TOO_LONG)],
    )


def bad_body(message: str, rule: str = rules.INVALID) -> AppError:
    error = invalid_fields([FieldError(field="body", message=message, rule=rule)])
    error.status = 400
    return error


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, refusing (413) once it passes `limit`, before buffering more."""
    length = _header(scope, b"content-length")
    if length is not None:
        try:
            declared = int(length)
        except ValueError:
            raise bad_body("Content-Length is not a number") from None
        if declared > limit:
            raise too_large(limit)
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A receive() that hands `body` to the app once, then passes through."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _depth_ok(value: Any, max_depth: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > max_depth:
                return False
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            if depth > max_depth:
                return False
            stack.extend((v, depth + 1) for v in item)
    return True


def check_json(body: bytes, data_type: Any | None) -> None:
    """400 for control characters, nesting past MAX_DEPTH, or a loosely typed field."""
    if _CONTROL_ESCAPE.search(body) or _RAW_C1.search(body):
        raise bad_body("control characters (such as NUL) are not allowed", rules.CONTROL_CHARS)
    try:
        value = msgspec.json.decode(body)
    except RecursionError:
        raise bad_body(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except msgspec.DecodeError as exc:
        raise bad_body(f"not valid JSON: {exc}") from None
    if (body.count(b"{") + body.count(b"[")) > MAX_DEPTH and not _depth_ok(value, MAX_DEPTH):
        raise bad_body(f"JSON nested deeper than {MAX_DEPTH} levels")
    if data_type is None:
        return
    try:
        msgspec.json.decode(body, type=data_type, strict=True)
    except msgspec.ValidationError as exc:
        field = validation_error(str(exc))
        field.rule = rules.refine(field.rule, rules.value_at(value, field.field))
        if field.rule == rules.CONTROL_CHARS:  # not the pattern's regex, which says nothing
            field.message = "control characters (line breaks, tabs, NUL) are not allowed"
        error = invalid_fields([field])
        error.status = 400  # as Litestar answers a body that fails validation
        raise error from None
    except (msgspec.DecodeError, TypeError):
        return  # a type msgspec cannot decode on its own: Litestar checks it


def _data_type(scope: Scope) -> Any | None:
    handler = scope.get("route_handler")
    signature = getattr(handler, "parsed_fn_signature", None)
    if signature is None:
        return None
    field = signature.parameters.get("data")
    return None if field is None else field.annotation


class BodyGuardMiddleware(ASGIMiddleware):
    """Size, nesting, control characters and strict types of every request body."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.max_bytes = max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and not _header(
            scope, b"content-length"
        ):
            await next_app(scope, receive, send)
            return
        body = await read_body(scope, receive, self.max_bytes)
        content_type = (_header(scope, b"content-type") or b"").lower()
        if body and (b"json" in content_type or not content_type):
            check_json(body, _data_type(scope))
        await next_app(scope, replaying(body, receive), send)
