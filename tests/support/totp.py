"""Test helper: finish a sign-in that answered a TOTP challenge, enrolling when asked."""

from __future__ import annotations

import time
from typing import Any

import pyotp

from app.auth import totp

_LAST_STEP: dict[str, int] = {}


class StepClock:
    """The in-process server's TOTP clock: the wall clock plus an offset that only grows.

    A test that needs a fresh step moves this clock to it instead of sleeping; the server
    (app.auth.totp.clock) and the test's code then agree on the step, as a phone and a
    server do. Servers in other processes keep the wall clock (see fresh_code).
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def move_to_step(self, step: int) -> None:
        """Half a second into `step`, unless the clock is already at or past it."""
        target = step * totp.STEP_S + 0.5
        self.offset = max(self.offset, target - time.time())


def fresh_code(secret: str) -> str:
    """A code of a step not used before with this secret (a code is good once).

    With the in-process StepClock installed the clock moves to the next step at once;
    against a server in another process the code waits for the wall clock's next step.
    """
    clock = totp.clock
    if isinstance(clock, StepClock):
        step = max(totp.current_step(), _LAST_STEP.get(secret, 0) + 1)
        clock.move_to_step(step)
        _LAST_STEP[secret] = step
        return pyotp.TOTP(secret).at(step * totp.STEP_S)
    while True:
        step = totp.current_step(time.time())
        if step > _LAST_STEP.get(secret, 0):
            _LAST_STEP[secret] = step
            return pyotp.TOTP(secret).at(step * totp.STEP_S)
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
