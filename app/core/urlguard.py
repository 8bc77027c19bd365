"""Control characters in a request's path or query string are 400 `invalid_request`, once,
before any handler runs.

NUL in a query or path parameter used to reach asyncpg, which refuses it with a 500
(CharacterNotInRepertoireError); CR/LF would reach log lines and file names. No id, code or
search term has a use for them, so they are refused at the edge for every route instead of
per parameter. Invalid UTF-8 in the query string is refused the same way.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.core import rules
from app.core.errors import AppError, FieldError, invalid_fields


def _refused(field: str, rule: str, message: str) -> AppError:
    error = invalid_fields([FieldError(field=field, message=message, rule=rule)])
    error.status = 400
    return error


def _controls(field: str) -> AppError:
    return _refused(field, rules.CONTROL_CHARS, "control characters (such as NUL) are not allowed")


def _printable_name(name: str, fallback: str) -> str:
    return fallback if not name or rules.has_controls(name) else name


def check_query(raw: bytes) -> None:
    """400 when any name or value of the query string holds a control character."""
    for pair in raw.split(b"&"):
        if not pair:
            continue
        name_raw, _, value_raw = pair.partition(b"=")
        try:
            name = unquote_to_bytes(name_raw.replace(b"+", b" ")).decode("utf-8")
            value = unquote_to_bytes(value_raw.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise _refused("query", rules.FORMAT, "the query string is not UTF-8") from None
        if rules.has_controls(name) or rules.has_controls(value):
            raise _controls(_printable_name(name, "query"))


def check_path(scope: Scope) -> None:
    """400 when a path parameter (or, failing a name, the path) holds a control character."""
    for name, value in (scope.get("path_params") or {}).items():
        if isinstance(value, str) and rules.has_controls(value):
            raise _controls(name)
    path = scope.get("path", "")
    if isinstance(path, str) and rules.has_controls(path):
        raise _controls("path")


class UrlGuardMiddleware(ASGIMiddleware):
    """Refuses control characters in the path and the query string of every HTTP request."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        check_path(scope)
        check_query(bytes(scope.get("query_string", b"")))
        await next_app(scope, receive, send)
