"""Finding 14 of security round 2: new passwords follow NIST SP 800-63B.

At least 12 characters and not a common or breached password, at registration and at a
password change, with the broken rule named in errors[].rule and stated in the detail.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.auth.passwords import password_problem
from tests.support.api import PASSWORD, Api


def refused(r: Any, rule: str) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == "invalid_request", body
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [("password", rule)], body
    assert body["errors"][0]["message"] in body["detail"]
    return body


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("12345678", "too_short"),
        ("password", "too_short"),
        ("eleven char", "too_short"),
        ("qwerty123456", "common"),  # in the breached list as it is
        ("PassWord1234!", "common"),  # a listed word, decorated
        ("123456789012", "common"),  # a straight run
        ("abababababab", "common"),  # a repetition
    ],
    ids=["8 digits", "password", "11 chars", "listed", "decorated", "run", "repeated"],
)
async def test_registration_refuses_short_and_common_passwords(
    api: Api, password: str, rule: str
) -> None:
    email = f"weak-{uuid.uuid4().hex[:8]}@example.com"
    r = await api.client.post("/api/v1/auth/register", json={"email": email, "password": password})
    body = refused(r, rule)
    if rule == "too_short":
        assert "at least 12 characters" in body["detail"]
    else:
        assert "too common" in body["detail"]


async def test_a_password_change_follows_the_same_policy(api: Api) -> None:
    fan = await api.user()
    for password, rule in (("short pw", "too_short"), ("1q2w3e4r5t6y", "common")):
        r = await api.client.patch(
            "/api/v1/me",
            json={"password": password, "current_password": PASSWORD},
            headers=fan.headers,
        )
        refused(r, rule)
    # Nothing changed: the old password still signs in.
    assert await api.login(fan.email, PASSWORD)


def test_the_suites_passwords_and_passphrases_pass() -> None:
    for good in (PASSWORD, "a long enough password", "Tr0ub4dor&3 on a horse", "zq8#Lm2!pX9v"):
        assert password_problem(good) is None, good
