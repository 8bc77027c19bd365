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

from app.core.errors import PROBLEM_JSON

PROBLEM_STATUSES = {
    "400": "Malformed body or parameters (code invalid_request, with errors)",
    "401": "Missing or invalid credentials (code unauthorized)",
    "403": "Not allowed (forbidden, not_admitted, admission_expired)",
    "404": "No such resource (not_found)",
    "405": "Method not allowed for this path",
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
                required=["field", "message"],
                properties={"field": _STR, "message": _STR},
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
