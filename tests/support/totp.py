"""Test helper: finish a sign-in that answered a TOTP challenge, enrolling when asked."""

from __future__ import annotations

import time
from typing import Any

import pyotp

_LAST_STEP: dict[str, int] = {}


def fresh_code(secret: str) -> str:
    """A code of a step not used before with this secret (a code is good once)."""
    while True:
        step = int(time.time() // 30)
        if step > _LAST_STEP.get(secret, 0):
            _LAST_STEP[secret] = step
            return pyotp.TOTP(secret).at(step * 30)
        time.sleep(0.5)


async def second_factor(
    client: Any, challenge: dict[str, Any], secrets: dict[str, str], email: str
) -> str:
    token = challenge["challenge_token"]
    if challenge["second_factor"] == "totp_enrolment":
        r = await client.post("/api/v1/auth/totp/enrol", json={"challenge_token": token})
        assert r.status_code == 201, r.text
        secrets[email] = r.json()["secret"]
        code = fresh_code(secrets[email])
        r = await client.post(
            "/api/v1/auth/totp/confirm", json={"challenge_token": token, "code": code}
        )
        assert r.status_code == 200, r.text
        access: str = r.json()["session"]["access_token"]
        return access
    code = fresh_code(secrets[email])
    r = await client.post("/api/v1/auth/login/totp", json={"challenge_token": token, "code": code})
    assert r.status_code == 200, r.text
    access = r.json()["access_token"]
    return access
