"""Auth and roles over HTTP against real Redis and Postgres."""

from __future__ import annotations

from tests.support.api import Api, assert_problem


async def test_register_login_me(api: Api) -> None:
    user = await api.user()
    r = await api.client.get("/api/v1/me", headers=user.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["email"] == user.email
    assert body["roles"] == ["fan"]
    assert body["user_id"] == user.user_id


async def test_login_token_shape(api: Api) -> None:
    user = await api.user()
    r = await api.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0


async def test_wrong_password_is_401(api: Api) -> None:
    user = await api.user()
    r = await api.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "wrong-password"}
    )
    assert_problem(r, 401, "unauthorized")
    r = await api.client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "whatever1"}
    )
    assert_problem(r, 401, "unauthorized")


async def test_duplicate_email_is_409(api: Api) -> None:
    user = await api.user()
    r = await api.client.post(
        "/api/v1/auth/register", json={"email": user.email.upper(), "password": "another password"}
    )
    assert r.status_code == 409
    assert r.json()["code"] == "email_taken"


async def test_me_needs_a_valid_token(api: Api) -> None:
    assert_problem(await api.client.get("/api/v1/me"), 401, "unauthorized")
    r = await api.client.get("/api/v1/me", headers={"Authorization": "Bearer not.a.token"})
    assert_problem(r, 401, "unauthorized")


async def test_patch_me_changes_profile_and_password(api: Api) -> None:
    user = await api.user()
    r = await api.client.patch(
        "/api/v1/me",
        json={"name": "Ada", "locale": "de-DE", "password": "a brand new secret"},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Ada"
    assert r.json()["locale"] == "de-DE"
    await api.login(user.email, "a brand new secret")
    r = await api.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    assert_problem(r, 401, "unauthorized")


async def test_admin_grants_roles_and_fans_cannot(api: Api) -> None:
    admin = await api.user("admin")
    fan = await api.user()
    r = await api.client.post(
        f"/api/v1/admin/users/{fan.user_id}/roles",
        json={"roles": ["organizer"]},
        headers=fan.headers,
    )
    assert_problem(r, 403, "forbidden")
    r = await api.client.post(
        f"/api/v1/admin/users/{fan.user_id}/roles",
        json={"roles": ["organizer"]},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    assert sorted(r.json()["roles"]) == ["fan", "organizer"]
    r = await api.client.post(
        "/api/v1/admin/users/00000000-0000-0000-0000-000000000000/roles",
        json={"roles": ["organizer"]},
        headers=admin.headers,
    )
    assert_problem(r, 404, "not_found")


async def test_bad_bodies_are_problem_json_with_fields(api: Api) -> None:
    r = await api.client.post(
        "/api/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    body = assert_problem(r, 400, "invalid_request")
    assert body["errors"]
    r = await api.client.post("/api/v1/auth/register", json={"email": 42, "password": "longenough"})
    body = assert_problem(r, 400, "invalid_request")
    assert any("email" in e["field"] or "email" in e["message"] for e in body["errors"])
    r = await api.client.post("/api/v1/auth/register", json={"password": "longenough"})
    body = assert_problem(r, 400, "invalid_request")
    assert any("email" in e["message"] or "email" in e["field"] for e in body["errors"])


async def test_unknown_route_and_method(api: Api) -> None:
    assert_problem(await api.client.get("/api/v1/nope"), 404, "not_found")
    assert_problem(await api.client.delete("/api/v1/auth/login"), 405, "method_not_allowed")


async def test_health(api: Api) -> None:
    assert (await api.client.get("/health/live")).status_code == 200
    r = await api.client.get("/health/ready")
    assert r.status_code == 200
    assert r.json()["checks"] == {"redis": "ok", "postgres": "ok"}
