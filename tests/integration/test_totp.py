"""Two-factor sign-in: enrolment with QR code, login challenge, replay, lockout, recovery codes."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import asyncpg
import msgspec
import pyotp
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.auth import totp, totp_sealing
from app.core.db import with_database
from app.core.ids import new_id
from app.core.migrate import migrate
from app.core.security import hash_password
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
    if totp.matching_step(secret, "000000") is None:
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
    wrong = next(c for c in ("111111", "222222", "333333") if totp.matching_step(secret, c) is None)
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


# --- secrets sealed at rest (0008_totp_sealed) -----------------------------------------


def _code_at(secret: str, steps_ahead: int) -> str:
    """The code of the current step or one ahead (inside the drift window), without waiting."""
    step = totp.current_step() + steps_ahead
    return pyotp.TOTP(secret).at(step * totp.STEP_S)


async def _stored(database_url: str, user_id: str) -> asyncpg.Record:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT plain_secret, sealed_secret, row_to_json(t)::text AS everything"
            " FROM user_totp t WHERE user_id = $1",
            uuid.UUID(user_id),
        )
    finally:
        await conn.close()
    assert row is not None
    return row


def _assert_sealed(row: asyncpg.Record, secret: str) -> None:
    assert row["plain_secret"] is None
    sealed: bytes = row["sealed_secret"]
    assert sealed is not None
    # Neither the base32 text nor the key bytes behind it appear anywhere in the row.
    assert secret not in row["everything"]
    assert secret.encode() not in sealed
    assert base64.b32decode(secret) not in sealed
    assert len(sealed) >= len(secret) + 16  # a nonce and a tag beyond the ciphertext


async def test_the_stored_secret_is_sealed_to_its_user(api: Api, settings: Settings) -> None:
    organizer = await api.user("organizer")
    r = await api.client.post("/api/v1/auth/totp/enrol", headers=organizer.headers)
    assert r.status_code == 201, r.text
    pending = r.json()["secret"]
    _assert_sealed(await _stored(api.database_url, organizer.user_id), pending)

    secret, codes = await _enrol(api, organizer.headers)  # a new pending one replaces it
    assert secret != pending
    row = await _stored(api.database_url, organizer.user_id)
    _assert_sealed(row, secret)
    assert totp_sealing.open_sealed(settings, organizer.user_id, row["sealed_secret"]) == secret
    # Only this deployment's key opens it.
    other_key = msgspec.structs.replace(settings, totp_key="another-key-" + "k" * 40)
    assert totp_sealing.open_sealed(other_key, organizer.user_id, row["sealed_secret"]) is None

    # Sign-in with a code and with a recovery code work as before.
    challenge = (await _login(api, organizer.email))["challenge_token"]
    r = await api.client.post(
        "/api/v1/auth/login/totp",
        json={"challenge_token": challenge, "code": fresh_code(secret)},
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        "/api/v1/auth/login/totp", json={"challenge_token": challenge, "code": codes[3]}
    )
    assert r.status_code == 200, r.text


async def test_a_sealed_secret_copied_to_another_account_does_not_verify(
    api: Api, settings: Settings
) -> None:
    victim = await api.user("organizer")
    victim_secret, _ = await _enrol(api, victim.headers)
    attacker = await api.user("organizer")
    _, attacker_codes = await _enrol(api, attacker.headers)

    conn = await asyncpg.connect(api.database_url)
    try:
        # Copy the victim's stored secret onto the attacker's row (and forget the
        # attacker's used steps, so only the seal can refuse the victim's codes).
        await conn.execute(
            "UPDATE user_totp SET sealed_secret ="
            " (SELECT sealed_secret FROM user_totp WHERE user_id = $1), last_step = 0"
            " WHERE user_id = $2",
            uuid.UUID(victim.user_id),
            uuid.UUID(attacker.user_id),
        )
        challenge = (await _login(api, attacker.email))["challenge_token"]
        r = await api.client.post(
            "/api/v1/auth/login/totp",
            json={"challenge_token": challenge, "code": _code_at(victim_secret, 0)},
        )
        assert r.status_code == 401
        # The same secret sealed for the attacker's id would verify: the binding refused it.
        await conn.execute(
            "UPDATE user_totp SET sealed_secret = $1 WHERE user_id = $2",
            totp_sealing.seal(settings, attacker.user_id, victim_secret),
            uuid.UUID(attacker.user_id),
        )
        r = await api.client.post(
            "/api/v1/auth/login/totp",
            json={"challenge_token": challenge, "code": _code_at(victim_secret, 1)},
        )
        assert r.status_code == 200, r.text
    finally:
        await conn.close()
    # Recovery codes are the account's own hashes, untouched by any of this.
    challenge = (await _login(api, attacker.email))["challenge_token"]
    r = await api.client.post(
        "/api/v1/auth/login/totp", json={"challenge_token": challenge, "code": attacker_codes[0]}
    )
    assert r.status_code == 200, r.text


async def test_a_plain_secret_missed_at_start_is_sealed_on_use(api: Api) -> None:
    organizer = await api.user("organizer")
    secret, _ = await _enrol(api, organizer.headers)
    conn = await asyncpg.connect(api.database_url)
    try:
        await conn.execute(
            "UPDATE user_totp SET plain_secret = $1, sealed_secret = NULL, last_step = 0"
            " WHERE user_id = $2",
            secret,
            uuid.UUID(organizer.user_id),
        )
    finally:
        await conn.close()
    challenge = (await _login(api, organizer.email))["challenge_token"]
    r = await api.client.post(
        "/api/v1/auth/login/totp",
        json={"challenge_token": challenge, "code": _code_at(secret, 0)},
    )
    assert r.status_code == 200, r.text
    _assert_sealed(await _stored(api.database_url, organizer.user_id), secret)


async def test_authenticators_from_before_sealing_are_sealed_and_keep_working(
    settings: Settings, postgres_server_url: str
) -> None:
    name = f"onsale_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(postgres_server_url, name)
    try:
        # The schema as it was before 0008, with an enabled authenticator in plain text.
        conn = await asyncpg.connect(url)
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        try:
            await migrate(conn, until=7)
            email = f"old-organizer-{uuid.uuid4().hex[:8]}@example.com"
            # The account as that schema held it (today's create_user writes later columns).
            user_id = new_id()
            await conn.execute(
                "INSERT INTO users (user_id, email, password_hash) VALUES ($1, $2, $3)",
                uuid.UUID(user_id),
                email,
                hash_password(PASSWORD),
            )
            await conn.executemany(
                "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)",
                [(uuid.UUID(user_id), "fan"), (uuid.UUID(user_id), "organizer")],
            )
            secret = totp.new_secret()
            recovery = totp.new_recovery_codes()
            await conn.execute(
                "INSERT INTO user_totp (user_id, secret, enabled_at) VALUES ($1, $2, now())",
                uuid.UUID(user_id),
                secret,
            )
            await conn.execute(
                "INSERT INTO user_recovery_codes (user_id, code_hash) VALUES ($1, $2)",
                uuid.UUID(user_id),
                totp.hash_recovery_code(recovery[0]),
            )
            assert await migrate(conn, until=8) == ["0008_totp_sealed"]
            # SQL cannot seal: the secret waits in plain_secret for the API.
            assert (await _stored(url, user_id))["plain_secret"] == secret
            await migrate(conn)

            moved = msgspec.structs.replace(settings, database_url=url)
            async with AsyncTestClient(app=create_app(moved)) as client:
                row = await _stored(url, user_id)  # the API sealed it as it started
                _assert_sealed(row, secret)
                assert totp_sealing.open_sealed(moved, user_id, row["sealed_secret"]) == secret
                # A second run (another process starting) finds nothing and changes nothing.
                assert await totp_sealing.seal_plain_secrets(pool, moved) == 0
                assert (await _stored(url, user_id))["sealed_secret"] == row["sealed_secret"]

                api = Api(client, url)
                challenge = await _login(api, email)
                assert challenge["second_factor"] == "totp"
                r = await client.post(
                    "/api/v1/auth/login/totp",
                    json={
                        "challenge_token": challenge["challenge_token"],
                        "code": fresh_code(secret),
                    },
                )
                assert r.status_code == 200, r.text
                r = await client.post(
                    "/api/v1/auth/login/totp",
                    json={"challenge_token": challenge["challenge_token"], "code": recovery[0]},
                )
                assert r.status_code == 200, r.text
        finally:
            await pool.close()
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
