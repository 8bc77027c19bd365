"""Holds: create (one Redis round trip), read and release; free of HTTP.

The hot path (`create_hold`) verifies the admission token on the CPU, then runs
lua/reserve_seats.lua once: session check, sale window, limits, seats, the hold
record, its expiry index, the ledger entry and the Idempotency-Key record, all
atomic. Postgres is never touched here.
"""

from __future__ import annotations

import time
from enum import IntEnum

import asyncpg
from redis.asyncio import Redis

from app.core import keys, metrics
from app.core.errors import AppError, invalid, not_found
from app.core.idempotency import IDEMPOTENCY_TTL_MS, check_key
from app.core.idempotency import conflict as idempotency_conflict
from app.core.ids import from_epoch_ms
from app.core.scripts import Scripts
from app.holds import repo
from app.holds.ids import event_of_hold, new_hold_id
from app.holds.schemas import Hold, HoldIn
from waiting_room import tokens

# An ended hold's record stays readable in Redis this long (API: >= 24 h).
RETENTION_MS = 25 * 3600 * 1000
# KEYS[8] of reserve_seats when the request has no Idempotency-Key (never written).
_NO_KEY = "-"


class Reserve(IntEnum):
    """Return codes of lua/reserve_seats.lua."""

    OK = 0
    NOT_ADMITTED = 1
    ADMISSION_EXPIRED = 2
    SALE_NOT_OPEN = 3
    NO_SUCH_EVENT = 4
    NO_SUCH_SECTION = 5
    LIMIT_PER_ORDER = 6
    LIMIT_PER_USER = 7
    SOLD_OUT = 8
    IDEMPOTENCY_CONFLICT = 9


class Release(IntEnum):
    """Return codes of lua/release_hold.lua."""

    RELEASED = 0
    NOT_FOUND = 1
    NOT_ACTIVE = 2
    ALREADY_ENDED = 3


_OUTCOME = {
    Reserve.OK: "created",
    Reserve.SOLD_OUT: "sold_out",
    Reserve.LIMIT_PER_ORDER: "limit_exceeded",
    Reserve.LIMIT_PER_USER: "limit_exceeded",
}
_HOLD_COUNTERS = {
    code: metrics.HOLDS.labels(outcome=_OUTCOME.get(code, code.name.lower())) for code in Reserve
}


def sale_not_open() -> AppError:
    return AppError("sale_not_open", 409, "Sale not open", "This event is not on sale right now")


def hold_not_active(status: str) -> AppError:
    return AppError(
        "hold_not_active", 409, "Hold not active", f"The hold is {status}; it cannot change now"
    )


def refusal(code: Reserve, data: HoldIn, n1: int, n2: int) -> AppError:
    """The AppError of a refused hold (codes 1-9 of reserve_seats)."""
    if code is Reserve.SOLD_OUT:
        return AppError(
            "sold_out",
            409,
            "Sold out",
            f"Section {data.section} has {n1} of {data.quantity} requested seats left",
        )
    if code is Reserve.LIMIT_PER_ORDER:
        return AppError("limit_exceeded", 409, "Limit exceeded", f"At most {n1} tickets per order")
    if code is Reserve.LIMIT_PER_USER:
        return AppError(
            "limit_exceeded",
            409,
            "Limit exceeded",
            f"At most {n1} tickets per account for this event; you hold or bought {n2}",
        )
    if code is Reserve.NOT_ADMITTED:
        return tokens.not_admitted("Your shopping session is not active; join the queue")
    if code is Reserve.ADMISSION_EXPIRED:
        return tokens.admission_expired()
    if code is Reserve.SALE_NOT_OPEN:
        return sale_not_open()
    if code is Reserve.NO_SUCH_EVENT:
        return not_found("Event")
    if code is Reserve.NO_SUCH_SECTION:
        return invalid("section", f"no section {data.section!r} in this event")
    return idempotency_conflict()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


async def create_hold(
    scripts: Scripts,
    secret: str,
    user_id: str,
    event_id: str,
    admission_token: str | None,
    idempotency_key: str | None,
    data: HoldIn,
) -> tuple[Hold, bool]:
    """A new hold (or the recorded first outcome of this Idempotency-Key).

    Returns (hold, replayed). Refusals raise AppError.
    """
    admission = tokens.verify(secret, admission_token, event_id=event_id, user_id=user_id)
    if idempotency_key is None:
        fingerprint, idem_key = "", keys.idempotency(event_id, "holds", _NO_KEY)
    else:
        fingerprint = f"{data.section}\x1f{data.quantity}"
        idem_key = keys.idempotency(event_id, "holds", f"{user_id}:{check_key(idempotency_key)}")
    hold_id = new_hold_id(event_id)
    now = now_ms()
    # Batched: concurrent holds of this process share one pipeline round trip.
    code_, replayed, hold_id, expires_at_ms, amount, currency, n1, n2 = await scripts.run_batched(
        "reserve_seats",
        keys=[
            keys.event_meta(event_id),
            keys.inventory(event_id),
            keys.user_seats(event_id),
            keys.active_sessions(event_id),
            keys.hold(event_id, hold_id),
            keys.hold_expiry(event_id),
            keys.hold_ends(event_id),
            idem_key,
        ],
        args=[
            now,
            event_id,
            user_id,
            admission.session_id,
            data.section,
            data.quantity,
            hold_id,
            fingerprint,
            IDEMPOTENCY_TTL_MS,
            RETENTION_MS,
        ],
    )
    code = Reserve(code_)
    if not replayed:
        _HOLD_COUNTERS[code].inc()
    if code is not Reserve.OK:
        error = refusal(code, data, int(n1), int(n2))
        if replayed:
            error.headers["Idempotent-Replayed"] = "true"
        raise error
    hold = Hold(
        hold_id=hold_id,
        event_id=event_id,
        section=data.section,
        quantity=data.quantity,
        amount_cents=int(amount),
        currency=currency,
        status="active",
        expires_at=from_epoch_ms(int(expires_at_ms)),
    )
    return hold, bool(replayed)


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
    hold_key = keys.hold(event_id, hold_id)
    code = Release(
        await scripts.run(
            "release_hold",
            keys=[
                hold_key,
                keys.inventory(event_id),
                keys.user_seats(event_id),
                keys.hold_expiry(event_id),
                keys.hold_ends(event_id),
            ],
            args=[now_ms(), user_id, RETENTION_MS],
        )
    )
    if code is Release.NOT_FOUND:
        raise not_found("Hold")
    if code is Release.NOT_ACTIVE:
        status: str | None = await scripts.redis.hget(hold_key, "status")  # type: ignore[misc]
        raise hold_not_active(status or "not active")
    if code is Release.RELEASED:
        metrics.HOLDS.labels(outcome="released").inc()
