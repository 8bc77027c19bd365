"""Finding 11 of security round 2: X-Forwarded-For and Forwarded are read as addresses.

Behind a trusted proxy the client address comes from those headers. A hop that is not an
address means no client address (per-account limits only), so nothing but a valid
address, in canonical form, reaches a rate-limit key or audit_log.client_ip.
"""

from __future__ import annotations

import ipaddress
import uuid

import asyncpg
import httpx
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.core.clientip import resolve
from app.core.settings import Settings
from tests.support.api import PASSWORD, Api
from tests.support.redis_clients import connect_sync
from tests.support.servers import api_process

PROXIES = "127.0.0.1,::1,10.1.0.0/16"


def test_forwarded_for_hops_must_be_addresses() -> None:
    # Valid hops, with ports and brackets, in canonical form.
    assert resolve("10.1.0.2", "198.51.100.7", PROXIES) == "198.51.100.7"
    assert resolve("10.1.0.2", " 198.51.100.7:5123 ", PROXIES) == "198.51.100.7"
    assert resolve("10.1.0.2", "[2001:DB8::0:1]:443", PROXIES) == "2001:db8::1"
    assert resolve("10.1.0.2", "::ffff:198.51.100.7", PROXIES) == "198.51.100.7"
    # Malformed: no client address at all (not the string, not a truncated string).
    for bad in ("not-an-ip", "<script>", "1.2.3.4.5", "unknown", "_hidden", "999.1.1.1", ","):
        assert resolve("10.1.0.2", bad, PROXIES) is None, bad
        assert resolve("10.1.0.2", f"203.0.113.5, {bad}", PROXIES) is None, bad
    # A malformed hop the proxy did not vouch for stops the walk even behind a good one.
    assert resolve("10.1.0.2", "junk, 10.1.3.3", PROXIES) is None
    # The peer itself, when it is not a trusted proxy, whatever the headers say.
    assert resolve("203.0.113.9", "junk", PROXIES) == "203.0.113.9"


def test_the_forwarded_header_is_read_when_x_forwarded_for_is_absent() -> None:
    assert resolve("10.1.0.2", None, PROXIES, "for=198.51.100.60;proto=https") == "198.51.100.60"
    assert (
        resolve("10.1.0.2", None, PROXIES, 'for="[2001:db8:cafe::17]:4711", for=10.1.0.9')
        == "2001:db8:cafe::17"
    )
    assert resolve("10.1.0.2", None, PROXIES, "for=unknown") is None
    assert resolve("10.1.0.2", None, PROXIES, 'for="_gazonk"') is None
    assert resolve("10.1.0.2", None, PROXIES, "proto=https") is None
    # X-Forwarded-For wins when both are sent.
    assert resolve("10.1.0.2", "198.51.100.1", PROXIES, "for=198.51.100.2") == "198.51.100.1"


@hsettings(max_examples=300, deadline=None)
@given(xff=st.text(max_size=60), fwd=st.one_of(st.none(), st.text(max_size=60)))
def test_only_a_valid_address_or_none_ever_comes_out(xff: str, fwd: str | None) -> None:
    out = resolve("127.0.0.1", xff, PROXIES, fwd)
    if out is not None:
        assert out != ""
        assert str(ipaddress.ip_address(out)) == out


async def test_a_malformed_forwarded_for_reaches_no_key_and_no_audit_entry(
    settings: Settings,
) -> None:
    """A live `onsale api` under dev (loopback is a trusted proxy)."""
    marker = f"junk-{uuid.uuid4().hex[:8]}"
    with api_process(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as live:
            api = Api(live, settings.database_url)
            fan = await api.user()
            r = await live.post(
                "/api/v1/auth/login",
                json={"email": fan.email, "password": PASSWORD},
                headers={"X-Forwarded-For": marker},
            )
            assert r.status_code == 200, r.text
            r = await live.patch(
                "/api/v1/me",
                json={"password": PASSWORD + " again", "current_password": PASSWORD},
                headers={**fan.headers, "X-Forwarded-For": f"<{marker}>"},
            )
            assert r.status_code == 200, r.text
            r = await live.post(
                "/api/v1/auth/login",
                json={"email": fan.email, "password": PASSWORD + " again"},
                headers={"Forwarded": "for=198.51.100.23;proto=https"},
            )
            assert r.status_code == 200, r.text
            # No forwarding header at all: the request came from the proxy's own host, and
            # the audit log says so (rate limits still see no client address).
            fan.token = r.json()["access_token"]
            r = await live.patch(
                "/api/v1/me",
                json={"password": PASSWORD + " twice", "current_password": PASSWORD + " again"},
                headers=fan.headers,
            )
            assert r.status_code == 200, r.text
    redis = connect_sync(settings.redis_url)
    try:
        keys = [k for k in redis.scan_iter(match="*", count=1000) if marker in k]
    finally:
        redis.close()
    assert keys == []
    conn = await asyncpg.connect(settings.database_url)
    try:
        ips = await conn.fetch(
            "SELECT client_ip FROM audit_log WHERE target_id = $1 AND action = $2"
            " ORDER BY audit_id",
            fan.user_id,
            "user.password_change",
        )
        forwarded = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE client_ip LIKE $1", f"%{marker}%"
        )
    finally:
        await conn.close()
    assert [r["client_ip"] for r in ips] == ["", "127.0.0.1"]
    assert forwarded == 0
