"""Holds: create (one Redis round trip), read and release; free of HTTP.

The hot path (`create_hold`) verifies the admission token on the CPU, then runs
lua/reserve_seats.lua once: the hold rate limits (holds_account, holds_ip), session
check, sale window, limits, seats, the hold
record, its expiry index, the ledger entry and the Idempotency-Key record, all
atomic. Postgres is never touched here.
"""

from __future__ import annotations

import time

import asyncpg
from redis.asyncio import Redis

from app.core import keys, metrics
from app.core.clock import from_epoch_ms, now_ms
from app.core.errors import AppError, not_found
from app.core.i18n import N_
from app.core.idempotency import IDEMPOTENCY_TTL_MS, check_key
from app.core.ratelimit import Quota
from app.core.scripts import Scripts
from app.holds import repo
from app.holds.errors import hold_not_active, refusal
from app.holds.ids import event_of_hold, new_hold_id
from app.holds.schemas import Hold, HoldIn
from app.holds.scripts import Release, Reserve, Reserved, hold_scripts
from waiting_room import signals, tokens

_OUTCOME = {
    Reserve.OK: "created",
    Reserve.SOLD_OUT: "sold_out",
    Reserve.LIMIT_PER_ORDER: "limit_exceeded",
    Reserve.LIMIT_PER_USER: "limit_exceeded",
    Reserve.RATE_LIMITED: "rate_limited",
}
_HOLD_COUNTERS = {
    code: metrics.HOLDS.labels(outcome=_OUTCOME.get(code, code.name.lower())) for code in Reserve
}


def _idempotency(user_id: str, key: str | None, data: HoldIn) -> tuple[str, str] | None:
    """(record key suffix, body fingerprint) of the request's Idempotency-Key."""
    if key is None:
        return None
    return f"{user_id}:{check_key(key)}", f"{data.section}\x1f{data.quantity}"


def _created(event_id: str, data: HoldIn, reserved: Reserved) -> Hold:
    return Hold(
        hold_id=reserved.hold_id,
        event_id=event_id,
        section=data.section,
        quantity=data.quantity,
        amount_cents=reserved.amount_cents,
        currency=reserved.currency,
        status="active",
        expires_at=from_epoch_ms(reserved.expires_at_ms),
    )


async def create_hold(
    scripts: Scripts,
    secret: str,
    user_id: str,
    event_id: str,
    admission_token: str | None,
    idempotency_key: str | None,
    data: HoldIn,
    quotas: tuple[Quota | None, Quota | None] = (None, None),
) -> tuple[Hold, bool]:
    """A new hold (or the recorded first outcome of this Idempotency-Key).

    `quotas` are the holds_account and holds_ip limits of the caller (None:
    off), counted by the script. Returns (hold, replayed). Refusals raise AppError.
    """
    admission = tokens.verify(secret, admission_token, event_id=event_id, user_id=user_id)
    if admission.phase_id:
        phase_refusal(admission, data)
    started = time.perf_counter()
    try:
        reserved = await _reserve(
            scripts, event_id, user_id, admission.session_id, data, idempotency_key, quotas
        )
    except Exception:
        # Timeouts and Redis errors are what closed-loop admission steers away from.
        signals.observe_hold(event_id, time.perf_counter() - started, ok=False)
        raise
    signals.observe_hold(event_id, time.perf_counter() - started, ok=True)
    if not reserved.replayed:
        _HOLD_COUNTERS[reserved.code].inc()
    if reserved.code is not Reserve.OK:
        error = refusal(reserved.code, data.section, data.quantity, reserved.n1, reserved.n2)
        if reserved.replayed:
            error.headers["Idempotent-Replayed"] = "true"
        raise error
    return _created(event_id, data, reserved), reserved.replayed


def phase_refusal(admission: tokens.Admission, data: HoldIn) -> None:
    """The sale phase the token names: its sections and per-account ticket limit, on
    the CPU (the token carries both), before the hold script runs."""
    if admission.sections and data.section not in admission.sections:
        raise AppError(
            "section_not_in_phase",
            409,
            "Not in this sale phase",
            N_("Section {section} is not on sale in this phase"),
            params={"section": data.section},
        )
    if admission.max_per_user and data.quantity > admission.max_per_user:
        raise AppError(
            "limit_exceeded",
            409,
            "Limit exceeded",
            N_("At most {limit} tickets per order"),
            params={"limit": admission.max_per_user},
        )


async def _reserve(
    scripts: Scripts,
    event_id: str,
    user_id: str,
    session_id: str,
    data: HoldIn,
    idempotency_key: str | None,
    quotas: tuple[Quota | None, Quota | None],
) -> Reserved:
    return await hold_scripts(scripts).reserve(
        event_id=event_id,
        user_id=user_id,
        session_id=session_id,
        section=data.section,
        quantity=data.quantity,
        hold_id=new_hold_id(event_id),
        idempotency=_idempotency(user_id, idempotency_key, data),
        now=now_ms(),
        idempotency_ttl_ms=IDEMPOTENCY_TTL_MS,
        account_quota=quotas[0],
        address_quota=quotas[1],
    )


def hold_from_record(record: dict[str, str], now: int) -> Hold:
    status = record["status"]
    expires_at_ms = int(record["expires_at_ms"])
    if status == "active" and expires_at_ms <= now:
        # Past its expiry; the sweeper returns the seats within a second or two.
        status = "expired"
    return Hold(
        hold_id=record["hold_id"],
        event_id=record["event_id"],
        section=record["section"],
        quantity=int(record["quantity"]),
        amount_cents=int(record["amount_cents"]),
        currency=record["currency"],
        status=status,  # type: ignore[arg-type]
        expires_at=from_epoch_ms(expires_at_ms),
    )


async def get_hold(redis: Redis, pool: asyncpg.Pool, user_id: str, hold_id: str) -> Hold:
    """The caller's hold; anyone else's (or an unknown id) is 404.

    Redis keeps ended holds >= 24 h; older ones (or after Redis lost them) come
    from the Postgres ledger.
    """
    event_id = event_of_hold(hold_id)
    if event_id is None:
        raise not_found("Hold")
    record: dict[str, str] = await redis.hgetall(keys.hold(event_id, hold_id))  # type: ignore[misc]
    if record:
        if record.get("user_id") != user_id:
            raise not_found("Hold")
        return hold_from_record(record, now_ms())
    row = await repo.ledger_hold(pool, hold_id)
    if row is None or row.user_id != user_id:
        raise not_found("Hold")
    return Hold(
        hold_id=row.hold_id,
        event_id=row.event_id,
        section=row.section,
        quantity=row.quantity,
        amount_cents=row.amount_cents,
        currency=row.currency,
        status=row.status,  # type: ignore[arg-type]
        expires_at=row.expires_at,
    )


async def release_hold(scripts: Scripts, user_id: str, hold_id: str) -> None:
    """Give the caller's active hold back at once (an ended one: nothing to do)."""
    event_id = event_of_hold(hold_id)
    if event_id is None:
        raise not_found("Hold")
    code = await hold_scripts(scripts).release(event_id, hold_id, user_id=user_id, now=now_ms())
    if code is Release.NOT_FOUND:
        raise not_found("Hold")
    if code is Release.NOT_ACTIVE:
        status: str | None = await scripts.redis.hget(keys.hold(event_id, hold_id), "status")  # type: ignore[misc]
        raise hold_not_active(status or "not active")
    if code is Release.RELEASED:
        metrics.HOLDS.labels(outcome="released").inc()
