"""Documents the RFC 9457 problem responses on every operation of the OpenAPI schema.

Litestar documents only its own 400 validation body; every Onsale error is
`application/problem+json` with a stable `code`, so the generated document is
amended once at startup to say so for each operation.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    Schema,
)

from app.core import rules
from app.core.errors import PROBLEM_JSON

PROBLEM_STATUSES = {
    "400": "Malformed body or parameters (code invalid_request, with errors)",
    "401": "Missing or invalid credentials (code unauthorized)",
    "403": "Not allowed (forbidden, not_admitted, admission_expired)",
    "404": "No such resource (not_found)",
    "405": "Method not allowed for this path",
    "413": "Body larger than the limit (invalid_request)",
    "409": "Business conflict (sold_out, limit_exceeded, idempotency_conflict, ...)",
    "422": "Semantically invalid body (invalid_request, with errors)",
    "429": "Too many requests (rate_limited, with Retry-After)",
    "503": "A dependency is down (unavailable, with Retry-After)",
}

_STR = Schema(type=OpenAPIType.STRING)
PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["title", "status", "code"],
    properties={
        "type": _STR,
        "title": _STR,
        "status": Schema(type=OpenAPIType.INTEGER),
        "code": _STR,
        "detail": _STR,
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(
                type=OpenAPIType.OBJECT,
                required=["field", "rule", "message"],
                properties={
                    "field": _STR,
                    # Stable: clients translate it; `message` is English and may change.
                    "rule": Schema(type=OpenAPIType.STRING, enum=sorted(rules.RULES)),
                    "message": _STR,
                },
            ),
        ),
    },
)


def document_problems(app: Litestar) -> None:
    openapi = app.openapi_schema
    if openapi.components.schemas is None:
        openapi.components.schemas = {}
    openapi.components.schemas["Problem"] = PROBLEM_SCHEMA
    ref = Reference(ref="#/components/schemas/Problem")
    for path_item in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, method, None)
            if operation is None:
                continue
            responses = operation.responses or {}
            for status, description in PROBLEM_STATUSES.items():
                responses[status] = OpenAPIResponse(
                    description=description,
                    content={PROBLEM_JSON: OpenAPIMediaType(schema=ref)},
                )
            operation.responses = responses


# Operations whose success body is not JSON (or not only JSON): the media types
# they really send, so clients and schemathesis can check them.
SUCCESS_MEDIA_TYPES: dict[str, dict[str, Schema]] = {
    "streamQueueStatus": {
        "text/event-stream": Schema(
            type=OpenAPIType.STRING,
            description="Server-sent events `status`, each `data` a QueueStatus JSON object",
        )
    },
    "exportEventOrders": {
        "application/json": Schema(type=OpenAPIType.OBJECT),
        "text/csv": Schema(type=OpenAPIType.STRING, description="One order per row"),
    },
}


def document_media_types(app: Litestar) -> None:
    for path_item in (app.openapi_schema.paths or {}).values():
        for method in ("get", "post"):
            operation = getattr(path_item, method, None)
            media = SUCCESS_MEDIA_TYPES.get(getattr(operation, "operation_id", None) or "")
            if operation is None or media is None or not operation.responses:
                continue
            ok = operation.responses.get("200")
            if isinstance(ok, OpenAPIResponse):
                ok.content = {
                    name: OpenAPIMediaType(schema=schema) for name, schema in media.items()
                }
