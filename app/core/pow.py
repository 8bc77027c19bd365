"""Proof of work for queue joins: a hashcash-style cost for bots, free for one fan.

The server issues a signed challenge bound to the account, the event, a
difficulty and an expiry; the client finds a nonce such that
SHA-256(challenge ":" nonce) starts with `difficulty` zero bits and sends both
with its join (headers X-PoW-Challenge and X-PoW-Nonce). Nothing is stored:
the signature (checked in constant time) proves the challenge is ours and
for this caller, and a reused solution only re-joins the same account, which
keeps its place anyway.

Every way into an event's line pays it per account (app.core.entry): a queue join,
creating a party, joining one, and the waiting list.

Difficulty: the organizer sets it per event (0 = off; ONSALE_POW_DIFFICULTY is
the default); when joins in the current minute pass SURGE_JOINS_PER_MIN, it
rises by SURGE_EXTRA_BITS automatically.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import msgspec
from redis.asyncio import Redis

from app.core import keys
from app.core.errors import AppError
from app.core.security import b64url, b64url_decode, hmac_sign

PURPOSE = "queue-pow"
# What the documentation (docs/operators/security.md) suggests an organizer start with:
# 2^16 hashes on average, measured at about 0.1 s in CPython and well under a second in a
# phone browser.
RECOMMENDED_DIFFICULTY = 16
CHALLENGE_TTL_S = 300
MAX_DIFFICULTY = 26
SURGE_JOINS_PER_MIN = 5000
SURGE_EXTRA_BITS = 2
MAX_NONCE_LENGTH = 64


class Challenge(msgspec.Struct, frozen=True, array_like=True):
    event_id: str
    user_id: str
    difficulty: int
    expires_at: int
    salt: str


class ChallengeOut(msgspec.Struct):
    challenge: str
    difficulty: int
    expires_in: int
    algorithm: str = "sha256-leading-zero-bits"


def pow_required(detail: str) -> AppError:
    return AppError("pow_required", 403, "Proof of work required", detail)


def difficulty_key(event_id: str) -> str:
    return keys.pow_challenge(event_id, "_difficulty")


async def configured_difficulty(redis: Redis, event_id: str, default: int) -> int:
    value = await redis.get(difficulty_key(event_id))
    return default if value is None else int(value)


async def set_difficulty(redis: Redis, event_id: str, difficulty: int) -> None:
    await redis.set(difficulty_key(event_id), str(difficulty))


async def current_difficulty(redis: Redis, event_id: str, default: int) -> int:
    """The organizer's setting, raised while joins surge (both read in one round trip)."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(difficulty_key(event_id))
        pipe.get(keys.pow_surge(event_id, int(time.time() // 60)))
        configured, joins = await pipe.execute()
    base = default if configured is None else int(configured)
    if base <= 0:
        return 0
    if joins is not None and int(joins) > SURGE_JOINS_PER_MIN:
        return min(MAX_DIFFICULTY, base + SURGE_EXTRA_BITS)
    return base


async def demand(
    redis: Redis,
    secret: str,
    default: int,
    challenge: str | None,
    nonce: str | None,
    *,
    event_id: str,
    user_id: str,
) -> int:
    """Check the caller's solution against the event's current difficulty (403 when it
    falls short); the difficulty asked, 0 when none."""
    required = await current_difficulty(redis, event_id, default)
    check(secret, challenge, nonce, event_id=event_id, user_id=user_id, required=required)
    return required


async def count_join(redis: Redis, event_id: str) -> None:
    key = keys.pow_surge(event_id, int(time.time() // 60))
    async with redis.pipeline(transaction=False) as pipe:
        pipe.incr(key)
        pipe.expire(key, 120)
        await pipe.execute()


def issue(secret: str, event_id: str, user_id: str, difficulty: int) -> ChallengeOut:
    claim = Challenge(
        event_id=event_id,
        user_id=user_id,
        difficulty=difficulty,
        expires_at=int(time.time()) + CHALLENGE_TTL_S,
        salt=secrets.token_urlsafe(9),
    )
    body = msgspec.msgpack.encode(claim)
    token = b64url(body) + "." + b64url(hmac_sign(secret, PURPOSE, body))
    return ChallengeOut(challenge=token, difficulty=difficulty, expires_in=CHALLENGE_TTL_S)


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solve(challenge: str, difficulty: int) -> str:
    """The reference solver (the locustfile and tests use the same loop)."""
    prefix = challenge.encode() + b":"
    nonce = 0
    while True:
        text = str(nonce).encode()
        if leading_zero_bits(hashlib.sha256(prefix + text).digest()) >= difficulty:
            return text.decode()
        nonce += 1


def check(
    secret: str,
    challenge: str | None,
    nonce: str | None,
    *,
    event_id: str,
    user_id: str,
    required: int,
) -> None:
    """Pass when the solution is for this caller and event and hard enough; else 403."""
    if required <= 0:
        return
    if not challenge or not nonce:
        raise pow_required(
            f"Solve a proof-of-work challenge (difficulty {required}) from"
            " GET …/queue/challenge and send X-PoW-Challenge and X-PoW-Nonce"
        )
    if len(nonce) > MAX_NONCE_LENGTH or len(challenge) > 512:
        raise pow_required("The proof-of-work answer is malformed")
    body_text, _, signature = challenge.partition(".")
    try:
        body = b64url_decode(body_text)
        sig = b64url_decode(signature)
        claim = msgspec.msgpack.decode(body, type=Challenge)
    except (ValueError, msgspec.DecodeError):
        raise pow_required("The proof-of-work challenge is malformed") from None
    if not hmac.compare_digest(hmac_sign(secret, PURPOSE, body), sig):
        raise pow_required("The proof-of-work challenge was not issued here")
    if claim.event_id != event_id or claim.user_id != user_id:
        raise pow_required("The proof-of-work challenge is for another account or event")
    if claim.expires_at < time.time():
        raise pow_required("The proof-of-work challenge has expired; get a new one")
    if claim.difficulty < required:
        raise pow_required(f"The difficulty is now {required}; get a new challenge")
    digest = hashlib.sha256(challenge.encode() + b":" + nonce.encode()).digest()
    if leading_zero_bits(digest) < claim.difficulty:
        raise pow_required("The proof-of-work answer does not solve the challenge")
