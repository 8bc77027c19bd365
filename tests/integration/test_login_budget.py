"""The per-account login limit counts one account once, however its email is spelled.

A test that bites (issue 22): with the email's normalization removed from the limit's
key, " Fan@X.example " and "FAN@x.example" would each get a budget of their own, and a
password-guessing run could multiply its tries by spelling the same address anew.
"""

from __future__ import annotations

import uuid

from app.core.ratelimit import DEFAULT_LIMITS
from tests.support.api import Api

LOGIN = "/api/v1/auth/login"


async def test_every_spelling_of_an_email_shares_one_login_budget(api: Api) -> None:
    local = f"fan-{uuid.uuid4().hex[:8]}"
    await api.register(email=f"{local}@x.example")
    spellings = [
        f" {local.capitalize()}@X.example ",
        f"{local.upper()}@x.example",
        f"{local}@x.example",
        f"   {local}@X.EXAMPLE  ",
    ]
    budget = int(DEFAULT_LIMITS["login_account"].split("/")[0])
    codes = []
    for i in range(budget):
        r = await api.client.post(
            LOGIN, json={"email": spellings[i % len(spellings)], "password": f"wrong guess {i}"}
        )
        codes.append(r.status_code)
    assert codes == [401] * budget
    # The budget is spent, for every spelling of the address.
    for spelling in spellings:
        r = await api.client.post(LOGIN, json={"email": spelling, "password": "one more guess"})
        assert r.status_code == 429, (spelling, r.text)
        assert r.json()["code"] == "rate_limited"
