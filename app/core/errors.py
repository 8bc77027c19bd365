"""AppError and the RFC 9457 problem+json handlers for every 4xx/5xx."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import msgspec
import redis.exceptions
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from app.core import i18n, rules

log = logging.getLogger("onsale.errors")

PROBLEM_JSON = "application/problem+json"

_CODE_BY_STATUS = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "invalid_request",
    415: "invalid_request",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}

_TITLE_BY_STATUS = {
    400: "Invalid request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


class FieldError(msgspec.Struct):
    """One field's problem: `rule` is from the stable vocabulary of app.core.rules (clients
    translate it); `message` is English text for people reading the raw answer."""

    field: str
    message: str
    rule: str = rules.INVALID


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details with our stable `code`."""

    title: str
    status: int
    code: str
    type: str = "about:blank"
    detail: str | None = None
    errors: list[FieldError] | None = None
    # The seats a refusal is about (seats_taken, a seat map's duplicates...).
    seats: list[str] | None = None
    # The ticket type a hold's refusal is about (type_sold_out, companion_required...).
    ticket_type: str | None = None


class AppError(Exception):
    """A business outcome that maps to one HTTP status and one stable code."""

    def __init__(
        self,
        code: str,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, object] | None = None,
        seats: list[str] | None = None,
        ticket_type: str | None = None,
    ) -> None:
        # `detail` is a msgid of the catalogs (app/locale): with `params` a template whose
        # {placeholders} they fill, so the handler can render it in the caller's language.
        self.msgid = detail
        self.params = params
        if detail is not None and params:
            detail = detail.format(**params)
        super().__init__(detail or title)
        self.code = code
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.seats = seats
        self.ticket_type = ticket_type

    def problem(self, locale: str = i18n.DEFAULT) -> Problem:
        """The problem document; `detail` in `locale` where a translation exists (title and
        code never change with the language)."""
        detail = self.detail
        if self.msgid is not None and i18n.translated(locale, self.msgid):
            detail = i18n.render(locale, self.msgid, self.params)
        return Problem(
            title=self.title,
            status=self.status,
            code=self.code,
            detail=detail,
            errors=self.errors,
            seats=self.seats,
            ticket_type=self.ticket_type,
        )


def invalid(field: str, message: str, rule: str = rules.INVALID) -> AppError:
    return invalid_fields([FieldError(field=field, message=message, rule=rule)])


def validation_error(message: str, field: str | None = None) -> FieldError:
    """A FieldError from a msgspec/Litestar validation message, with its field and rule."""
    name, rule = rules.classify(message, field)
    return FieldError(field=name, message=message, rule=rule)


def invalid_fields(errors: list[FieldError]) -> AppError:
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return AppError("invalid_request", 422, "Invalid request", detail, errors=errors)


def not_found(what: str) -> AppError:
    return AppError(
        "not_found", 404, "Not found", i18n.N_("{what} not found"), params={"what": i18n.Term(what)}
    )


def forbidden(detail: str = i18n.N_("You may not do this")) -> AppError:
    return AppError("forbidden", 403, "Forbidden", detail)


def unauthorized(detail: str = i18n.N_("Missing or invalid credentials")) -> AppError:
    return AppError(
        "unauthorized", 401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"}
    )


def unavailable(dependency: str) -> AppError:
    return AppError(
        "unavailable",
        503,
        "Service unavailable",
        i18n.N_("{dependency} is not reachable; retry shortly"),
        headers={"Retry-After": "2"},
        params={"dependency": dependency},
    )


def sale_not_open(detail: str = i18n.N_("This event is not on sale right now")) -> AppError:
    """The sale (or its waiting room) is not open: before onsale, paused, or over."""
    return AppError("sale_not_open", 409, "Sale not open", detail)


def _response(problem: Problem, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=headers or {},
    )


def _field_errors(extra: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                key = str(item.get("key") or item.get("source") or "body")
                message = str(item.get("message", ""))
                if key == "data" and message.strip("'") == "data":
                    errors.append(
                        FieldError(
                            field="body",
                            message="a JSON request body is required",
                            rule=rules.REQUIRED,
                        )
                    )
                    continue
                error = validation_error(message, key)
                if key not in ("body", "data"):
                    error.field = key  # a query or path parameter: its own name
                errors.append(error)
    return errors or [FieldError(field="body", message="invalid request body")]


def request_locale(request: Request[Any, Any, Any]) -> str:
    """The language of a problem's `detail`: the request's Accept-Language, else English."""
    return i18n.negotiate(request.headers.get("accept-language")) or i18n.DEFAULT


def app_error_handler(request: Request[Any, Any, Any], exc: AppError) -> Response[bytes]:
    locale = request_locale(request)
    headers = {**exc.headers, "Vary": "Accept-Language"}
    if exc.msgid is not None and locale != i18n.DEFAULT and i18n.translated(locale, exc.msgid):
        headers["Content-Language"] = locale
    return _response(exc.problem(locale), headers)


def http_exception_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    code = _CODE_BY_STATUS.get(status, "internal_error" if status >= 500 else "invalid_request")
    title = _TITLE_BY_STATUS.get(status, "Error")
    errors = None
    detail = exc.detail if isinstance(exc.detail, str) else None
    if isinstance(exc, ValidationException) or (status in (400, 422) and exc.extra):
        status = 400 if status == 400 else 422
        errors = _field_errors(exc.extra)
        code, title = "invalid_request", "Invalid request"
    if code == "invalid_request" and errors is None:
        errors = [FieldError(field="body", message=detail or title)]
    if status >= 500:
        log.error("http error %s: %s", status, exc.detail)
    headers = dict(exc.headers or {})
    return _response(
        Problem(title=title, status=status, code=code, detail=detail, errors=errors), headers
    )


# Redis not answering, or a Redis Cluster moving slots (a failover, a node
# down): the caller may retry shortly, so 503, never 500.
REDIS_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
    redis.exceptions.MovedError,
    redis.exceptions.AskError,
    redis.exceptions.SlotNotCoveredError,
    redis.exceptions.MasterDownError,
)


def _caused_by(
    exc: BaseException, wanted: tuple[type[BaseException], ...], wrapper: type[BaseException]
) -> bool:
    """`exc` is one of `wanted`, or a `wrapper` raised over one (its cause or context, a few
    levels deep): a client library's own error standing for a dependency that went away."""
    current: BaseException | None = exc
    for _ in range(4):
        if isinstance(current, wanted):
            return True
        if not isinstance(current, wrapper) or current is None:
            return False
        current = current.__cause__ or current.__context__
    return False


def redis_unavailable(exc: BaseException) -> bool:
    """Redis down, also behind a WatchError: redis-py raises one when the connection breaks
    during a WATCH (arq's enqueue watches the job key), with the connection error as its
    context. A WatchError of a watched key that really changed has no such cause."""
    return _caused_by(exc, REDIS_UNAVAILABLE, redis.exceptions.WatchError)


# Postgres not answering or refusing connections: 503 as well.
POSTGRES_UNAVAILABLE = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
)


def postgres_unavailable(exc: BaseException) -> bool:
    """Postgres down, also behind the InterfaceError that asyncpg raises when a transaction
    block is left on a connection that has just died ("cannot call Transaction.__aexit__():
    the underlying connection is closed"), whose context is the connection's own error. An
    InterfaceError without such a cause is a fault of ours and stays a 500."""
    return _caused_by(exc, POSTGRES_UNAVAILABLE, asyncpg.exceptions.InterfaceError)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    if redis_unavailable(exc):
        return app_error_handler(request, unavailable("redis"))
    if postgres_unavailable(exc):
        return app_error_handler(request, unavailable("postgres"))
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _response(
        Problem(title="Internal error", status=500, code="internal_error"),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    AppError: app_error_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "AppError",
    "FieldError",
    "MediaType",
    "Problem",
    "forbidden",
    "invalid",
    "invalid_fields",
    "not_found",
    "sale_not_open",
    "unauthorized",
    "unavailable",
]
