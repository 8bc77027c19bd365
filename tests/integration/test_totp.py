"""Two-factor sign-in: enrolment with QR code, login challenge, replay, lockout, recovery codes."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec
import pyotp
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.core.settings import Settings
from tests.support.api import PASSWORD, Api
from tests.support.totp import fresh_code


async def _login(api: Api, email: str) -> dict[str, Any]:
    r = await api.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _enrol(api: Api, headers: dict[str, str]) -> tuple[str, list[str]]:
    r = await api.client.post("/api/v1/auth/totp/enrol", headers=headers)
    assert r.status_code == 201, r.text
    enrolment = r.json()
    assert enrolment["qr_svg"].startswith("data:image/svg+xml")
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/Onsale:")
    secret: str = enrolment["secret"]
    wrong = await api.client.post(
        "/api/v1/auth/totp/confirm", json={"code": "000000"}, headers=headers
    )
    if pyotp.TOTP(secret).now() != "000000":
        assert wrong.status_code == 422
        assert wrong.json()["errors"][0]["field"] == "code"
    r = await api.client.post(
        "/api/v1/auth/totp/confirm", json={"code": fresh_code(secret)}, headers=headers
    )
    assert r.status_code == 200, r.text
    codes: list[str] = r.json()["recovery_codes"]
    assert len(codes) == 10
    assert r.json()["session"] is None
    return secret, codes


async def test_organizer_enrols_and_signs_in_with_a_code(api: Api) -> None:
    organizer = await api.user("organizer")
    status = (await api.client.get("/api/v1/auth/totp", headers=organizer.headers)).json()
    assert status == {"enabled": False, "required": False, "recovery_codes_left": 0}
    secret, codes = await _enrol(api, organizer.headers)

    challenge = await _login(api, organizer.email)
    assert challenge["second_factor"] == "totp"
    assert "access_token" not in challenge
    # The challenge is no access token.
    r = await api.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {challenge['challenge_token']}"}
    )
    assert r.status_code == 401
    code = fresh_code(secret)
    r = await api.client.post(
        "/api/v1/auth/login/totp",
        json={"challenge_token": challenge["challenge_token"], "code": code},
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = await api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert "organizer" in me.json()["roles"]

    # The same code a second time is a replay.
    again = await _login(api, organizer.email)
    r = await api.client.post(
        "/api/v1/auth/login/totp", json={"challenge_token": again["challenge_token"], "code": code}
    )
    assert r.status_code == 401
    assert r.json()["code"] == "unauthorized"

    # A recovery code works once.
    r = await api.client.post(
        "/api/v1/auth/login/totp",
        json={"challenge_token": again["challenge_token"], "code": codes[0].upper()},
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        "/api/v1/auth/login/totp",
        json={"challenge_token": again["challenge_token"], "code": codes[0]},
    )
    assert r.status_code == 401
    status = (await api.client.get("/api/v1/auth/totp", headers=organizer.headers)).json()
    assert status == {"enabled": True, "required": False, "recovery_codes_left": 9}

    # A password alone cannot replace an active authenticator.
    r = await api.client.post(
        "/api/v1/auth/totp/enrol", json={"challenge_token": again["challenge_token"]}
    )
    assert r.status_code == 409
    assert r.json()["code"] == "totp_enabled"

    # Organizers may turn it off again with a code.
    r = await api.client.post(
        "/api/v1/auth/totp/disable", json={"code": fresh_code(secret)}, headers=organizer.headers
    )
    assert r.status_code == 204
    assert "access_token" in await _login(api, organizer.email)


async def test_wrong_codes_lock_the_second_step(api: Api) -> None:
    organizer = await api.user("organizer")
    secret, _ = await _enrol(api, organizer.headers)
    challenge = (await _login(api, organizer.email))["challenge_token"]
    good = pyotp.TOTP(secret)
    wrong = next(c for c in ("111111", "222222", "333333") if not good.verify(c, valid_window=1))
    statuses = []
    for _ in range(6):
        r = await api.client.post(
            "/api/v1/auth/login/totp", json={"challenge_token": challenge, "code": wrong}
        )
        statuses.append(r.status_code)
    assert statuses[:4] == [401] * 4
    assert statuses[4:] == [429, 429]
    assert int(r.headers["Retry-After"]) > 200
    assert r.json()["code"] == "rate_limited"
    # Even the right code waits out the lock.
    r = await api.client.post(
        "/api/v1/auth/login/totp",
        json={"challenge_token": challenge, "code": fresh_code(secret)},
    )
    assert r.status_code == 429


async def test_admins_must_enrol_before_any_token(api: Api) -> None:
    admin = await api.user("fan")
    conn = await asyncpg.connect(api.database_url)
    await conn.execute(
        "INSERT INTO user_roles (user_id, role) VALUES ($1, 'admin')", uuid.UUID(admin.user_id)
    )
    await conn.close()
    challenge = await _login(api, admin.email)
    assert challenge["second_factor"] == "totp_enrolment"
    token = challenge["challenge_token"]
    r = await api.client.post("/api/v1/auth/totp/enrol", json={"challenge_token": token})
    assert r.status_code == 201
    secret = r.json()["secret"]
    r = await api.client.post(
        "/api/v1/auth/totp/confirm", json={"challenge_token": token, "code": fresh_code(secret)}
    )
    assert r.status_code == 200, r.text
    session = r.json()["session"]
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    me = await api.client.get("/api/v1/me", headers=headers)
    assert "admin" in me.json()["roles"]
    # Admins cannot turn it off.
    r = await api.client.post(
        "/api/v1/auth/totp/disable", json={"code": fresh_code(secret)}, headers=headers
    )
    assert r.status_code == 403


async def test_fans_cannot_enrol_and_bad_challenges_are_refused(api: Api) -> None:
    fan = await api.user("fan")
    r = await api.client.post("/api/v1/auth/totp/enrol", headers=fan.headers)
    assert r.status_code == 403
    r = await api.client.post("/api/v1/auth/totp/enrol")
    assert r.status_code == 401
    r = await api.client.post(
        "/api/v1/auth/login/totp", json={"challenge_token": fan.token, "code": "123456"}
    )
    assert r.status_code == 401  # an access token is no challenge
    r = await api.client.post(
        "/api/v1/auth/login/totp", json={"challenge_token": "x", "code": "12"}
    )
    assert r.status_code in (400, 422)


async def test_deployment_can_require_it_for_organizers(
    settings: Settings, database_url: str
) -> None:
    strict = msgspec.structs.replace(settings, require_2fa_organizers=True)
    async with AsyncTestClient(app=create_app(strict)) as client:
        api = Api(client, database_url)
        organizer = await api.user("organizer")  # the helper enrols when challenged
        assert organizer.email in api.totp_secrets
        status = (await client.get("/api/v1/auth/totp", headers=organizer.headers)).json()
        assert status["enabled"] is True
        assert status["required"] is True
