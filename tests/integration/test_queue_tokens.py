"""Admission tokens: forged, altered, expired, cross-event, cross-account and revoked."""

from __future__ import annotations

import time
from typing import Any

import pytest

from app.core import keys
from app.core.errors import AppError
from app.core.ids import new_id
from app.core.security import b64url, b64url_decode
from app.core.settings import Settings
from tests.support.api import Api, bulk_fans
from tests.support.queue import Admitter
from waiting_room import queue, tokens

SECRET = "unit-test-secret-0123456789abcdef0123456789"


def admission(**overrides: Any) -> tokens.Admission:
    fields: dict[str, Any] = {
        "event_id": "ev-1",
        "user_id": "user-1",
        "session_id": "a1",
        "expires_at_ms": int(time.time() * 1000) + 60_000,
    }
    fields.update(overrides)
    return tokens.Admission(**fields)


def refused(token: str | None, code: str, **kw: Any) -> None:
    with pytest.raises(AppError) as err:
        tokens.verify(
            SECRET, token, event_id=kw.get("event_id", "ev-1"), user_id=kw.get("user_id", "user-1")
        )
    assert err.value.code == code
    assert err.value.status == 403


def test_valid_token_verifies() -> None:
    token = tokens.issue(SECRET, admission())
    got = tokens.verify(SECRET, token, event_id="ev-1", user_id="user-1")
    assert got.session_id == "a1"


def test_forged_altered_expired_cross_event_cross_account() -> None:
    good = tokens.issue(SECRET, admission())
    refused(None, "not_admitted")
    refused("garbage", "not_admitted")
    refused("v1.!!!.!!!", "not_admitted")
    # Forged: signed with another key.
    refused(tokens.issue("another-secret-key-000000000000000000", admission()), "not_admitted")
    # Altered: payload changed (user swapped), original signature kept.
    _, payload, sig = good.split(".")
    altered = b64url(b64url_decode(payload).replace(b"user-1", b"user-2"))
    refused(f"v1.{altered}.{sig}", "not_admitted", user_id="user-2")
    # Signature bit-flipped.
    flipped = bytearray(b64url_decode(sig))
    flipped[0] ^= 1
    refused(f"v1.{payload}.{b64url(bytes(flipped))}", "not_admitted")
    refused(good, "not_admitted", event_id="ev-2")
    refused(good, "not_admitted", user_id="user-2")
    expired = tokens.issue(SECRET, admission(expires_at_ms=int(time.time() * 1000) - 1))
    refused(expired, "admission_expired")


async def test_delete_queue_revokes_the_session(api: Api, settings: Settings) -> None:
    org = await api.user("organizer")
    event = await api.event(org)  # room disabled: admitted on join
    ev = event["event_id"]
    fan, other = await bulk_fans(settings, 2)
    body = (await api.client.post(f"/api/v1/events/{ev}/queue", headers=fan.headers)).json()
    token = body["admission_token"]
    admitted = tokens.verify(settings.secret_key, token, event_id=ev, user_id=fan.user_id)
    # The same token refused for another account or event.
    with pytest.raises(AppError) as err:
        tokens.verify(settings.secret_key, token, event_id=ev, user_id=other.user_id)
    assert err.value.code == "not_admitted"
    with pytest.raises(AppError) as err:
        tokens.verify(settings.secret_key, token, event_id=new_id(), user_id=fan.user_id)
    assert err.value.code == "not_admitted"

    admitter = Admitter(settings)
    try:
        assert await queue.session_active(admitter.redis, ev, admitted.session_id)
        r = await api.client.delete(f"/api/v1/events/{ev}/queue", headers=fan.headers)
        assert r.status_code == 204
        # Revoked at once: the signature is still fine, the session is gone.
        assert not await queue.session_active(admitter.redis, ev, admitted.session_id)
        assert await admitter.redis.zcard(keys.active_sessions(ev)) == 0
    finally:
        await admitter.close()
