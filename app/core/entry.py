"""What every way into an event's line pays, per account: a rate limit and the proof of work.

A queue join, a party created or joined and a waiting-list entry each call `hit_limits`
and `pay_pow` (the join counts its limits inside its script instead), so pooling accounts
in a party costs each account its own solve (app.core.pow) and its own budget of attempts.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.params import Parameter
from redis.asyncio import Redis

from app.core import pow
from app.core.clientip import client_ip
from app.core.ratelimit import RateLimiter
from app.core.settings import Settings

PowChallenge = Annotated[
    str | None, Parameter(header="X-PoW-Challenge", description="From …/queue/challenge")
]
PowNonce = Annotated[
    str | None, Parameter(header="X-PoW-Nonce", description="Solves the challenge")
]


async def hit_limits(
    request: Request[Any, Any, Any], user_id: str, account_limit: str, ip_limit: str | None = None
) -> None:
    """Count the attempt against the per-account limit (and the per-address one, if named)."""
    limiter: RateLimiter = request.app.state.limiter
    if ip_limit is not None:
        await limiter.hit(ip_limit, client_ip(request))
    await limiter.hit(account_limit, user_id)


async def pay_pow(
    redis: Redis,
    settings: Settings,
    challenge: str | None,
    nonce: str | None,
    *,
    event_id: str,
    user_id: str,
) -> int:
    """The caller's proof of work for this event (403 pow_required when missing or short);
    the difficulty asked, 0 when none."""
    return await pow.demand(
        redis,
        settings.secret_key,
        settings.pow_difficulty,
        challenge,
        nonce,
        event_id=event_id,
        user_id=user_id,
    )
