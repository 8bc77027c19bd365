"""Error mapping: every failure becomes RFC 9457 problem JSON with a stable code."""

from __future__ import annotations

from typing import Any

import asyncpg.exceptions
import msgspec
import pytest
import redis.exceptions
from litestar import Litestar, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.testing import TestClient

from app.core.errors import (
    EXCEPTION_HANDLERS,
    AppError,
    FieldError,
    invalid,
    not_found,
    sale_not_open,
    unauthorized,
    unavailable,
)


class Body(msgspec.Struct):
    n: int


@get("/app-error")
async def raise_app_error() -> None:
    raise AppError("sold_out", 409, "Sold out", "None left")


@get("/redis-down")
async def redis_down() -> None:
    raise redis.exceptions.ConnectionError("gone")


@get("/redis-down-while-watching")
async def redis_down_while_watching() -> None:
    # What redis-py raises when the connection breaks during a WATCH (arq's enqueue).
    try:
        raise redis.exceptions.ConnectionError("reset by peer")
    except redis.exceptions.ConnectionError as exc:
        raise redis.exceptions.WatchError("A ConnectionError occurred while watching") from exc


@get("/watched-key-changed")
async def watched_key_changed() -> None:
    raise redis.exceptions.WatchError("Watched variable changed.")


@get("/postgres-down")
async def postgres_down() -> None:
    raise ConnectionRefusedError("gone")


@get("/postgres-died-in-a-transaction")
async def postgres_died_in_a_transaction() -> None:
    # What asyncpg raises when a transaction block is left on a connection that died in it.
    try:
        raise asyncpg.exceptions.ConnectionDoesNotExistError("closed in the middle")
    except asyncpg.exceptions.ConnectionDoesNotExistError:
        raise asyncpg.exceptions.InterfaceError(
            "cannot call Transaction.__aexit__(): the underlying connection is closed"
        ) from None


@get("/interface-misuse")
async def interface_misuse() -> None:
    raise asyncpg.exceptions.InterfaceError("cannot perform operation: another one in progress")


@get("/bug")
async def bug() -> None:
    raise RuntimeError("a bug")


@get("/http/{status:int}")
async def http(status: int) -> None:
    raise HTTPException(status_code=status)


@post("/body")
async def body(data: Body) -> Body:
    return data


@pytest.fixture(scope="module")
def client() -> Any:
    app = Litestar(
        [
            raise_app_error,
            redis_down,
            redis_down_while_watching,
            watched_key_changed,
            postgres_down,
            postgres_died_in_a_transaction,
            interface_misuse,
            bug,
            http,
            body,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    with TestClient(app) as test_client:
        yield test_client


def problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    data: dict[str, Any] = r.json()
    assert (data["status"], data["code"]) == (status, code)
    assert data["title"]
    return data


def test_app_error(client: Any) -> None:
    assert problem(client.get("/app-error"), 409, "sold_out")["detail"] == "None left"


def test_dependencies_down_are_503_with_retry_after(client: Any) -> None:
    for path, dependency in (
        ("/redis-down", "redis"),
        ("/redis-down-while-watching", "redis"),
        ("/postgres-down", "postgres"),
        ("/postgres-died-in-a-transaction", "postgres"),
    ):
        r = client.get(path)
        assert dependency in problem(r, 503, "unavailable")["detail"]
        assert r.headers["retry-after"] == "2"


def test_an_unexpected_error_is_a_500_without_details(client: Any) -> None:
    data = problem(client.get("/bug"), 500, "internal_error")
    assert "detail" not in data
    # A WatchError without a broken connection behind it is a bug, not an outage.
    problem(client.get("/watched-key-changed"), 500, "internal_error")
    # Nor is an asyncpg InterfaceError with no dead connection behind it.
    problem(client.get("/interface-misuse"), 500, "internal_error")


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "invalid_request"),
        (401, "unauthorized"),
        (403, "forbidden"),
        (404, "not_found"),
        (405, "method_not_allowed"),
        (409, "conflict"),
        (429, "rate_limited"),
        (503, "unavailable"),
    ],
)
def test_http_statuses_map_to_codes(client: Any, status: int, code: str) -> None:
    problem(client.get(f"/http/{status}"), status, code)


def test_unknown_route_and_wrong_method(client: Any) -> None:
    problem(client.get("/nowhere"), 404, "not_found")
    problem(client.put("/body"), 405, "method_not_allowed")


def test_invalid_body_lists_the_fields(client: Any) -> None:
    data = problem(client.post("/body", json={"n": "x"}), 400, "invalid_request")
    assert data["errors"]
    assert data["errors"][0]["field"]
    data = problem(client.post("/body", content=b"not json"), 400, "invalid_request")
    assert data["errors"]


def test_helpers() -> None:
    assert not_found("Hold").detail == "Hold not found"
    assert unauthorized().headers == {"WWW-Authenticate": "Bearer"}
    assert unavailable("stripe").headers == {"Retry-After": "2"}
    assert (sale_not_open().code, sale_not_open().status) == ("sale_not_open", 409)
    error = invalid("section", "unknown")
    assert error.problem().errors == [FieldError(field="section", message="unknown")]
    assert isinstance(NotFoundException(), HTTPException)
