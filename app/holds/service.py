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
from app.core.errors import AppError, invalid, not_found
from app.core.i18n import N_
from app.core.idempotency import IDEMPOTENCY_TTL_MS, check_key
from app.core.ratelimit import Quota
from app.core.scripts import Scripts
from app.holds import repo
from app.holds.errors import hold_not_active, refusal
from app.holds.ids import event_of_hold, new_hold_id
from app.holds.schemas import Hold, HoldIn, HoldLine, HoldSeat
from app.holds.scripts import (
    DiscountRequest,
    Release,
    Reserve,
    Reserved,
    SeatRequest,
    hold_scripts,
)
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


def _lines(data: HoldIn) -> list[tuple[str, int]]:
    """The request's lines by ticket type (upper case), checked; [] without lines."""
    if data.lines is None:
        return []
    if data.seats is not None or data.best_available:
        raise invalid("lines", "lines by ticket type go with general admission, not seats")
    lines = [(line.type.upper(), line.quantity) for line in data.lines]
    if len({code for code, _ in lines}) != len(lines):
        raise invalid("lines", "a ticket type is named twice")
    total = sum(quantity for _, quantity in lines)
    if total > 100:
        raise invalid("lines", "at most 100 tickets in one hold")
    if data.quantity not in (0, total):
        raise invalid("quantity", "quantity must be the sum of the lines")
    return lines


def hold_lines(text: str) -> list[HoldLine] | None:
    """A hold record's lines ('TYPE:q:amount,...') as the Hold shows them."""
    if not text:
        return None
    out = []
    for item in text.split(","):
        fields = [*item.split(":"), "0", "0"]
        out.append(HoldLine(fields[0], int(fields[1]), int(fields[2])))
    return out


def _seat_request(data: HoldIn) -> tuple[int, SeatRequest | None]:
    """(quantity, seats part) of a hold request, checked; general admission: None."""
    if data.lines is not None:
        lines = _lines(data)
        return sum(quantity for _, quantity in lines), None
    if data.seats is not None:
        if data.best_available or data.category is not None or data.accessible:
            raise invalid("seats", "name seats, or ask for the best available: not both")
        if len(set(data.seats)) != len(data.seats):
            raise invalid("seats", "a seat is named twice")
        if data.quantity not in (0, len(data.seats)):
            raise invalid("quantity", "quantity must be the number of seats named")
        return len(data.seats), SeatRequest("pick", tuple(data.seats))
    if data.quantity == 0:
        raise invalid("quantity", "quantity or seats is required")
    if data.best_available:
        return data.quantity, SeatRequest("best", (), data.category or "", data.accessible)
    if data.category is not None or data.accessible:
        raise invalid("best_available", "category and accessible go with best_available")
    return data.quantity, None


def _idempotency(
    user_id: str, key: str | None, data: HoldIn, quantity: int, seats: SeatRequest | None
) -> tuple[str, str] | None:
    """(record key suffix, body fingerprint) of the request's Idempotency-Key."""
    if key is None:
        return None
    fingerprint = f"{data.section}\x1f{quantity}"
    if seats is not None:
        fingerprint += "\x1f" + "\x1f".join(seats.args())
    if data.discount_code is not None:
        fingerprint += "\x1fcode=" + data.discount_code.upper()
    if data.lines is not None:
        fingerprint += "\x1flines=" + ",".join(f"{c}:{q}" for c, q in _lines(data))
    return f"{user_id}:{check_key(key)}", fingerprint


def hold_seats(text: str) -> list[HoldSeat] | None:
    """The seats of a created hold as reserve_seats returns them ('id\\trow\\tnumber' lines)."""
    if not text:
        return None
    return [HoldSeat(*line.split("\t")) for line in text.split("\n")]


def _created(event_id: str, data: HoldIn, quantity: int, reserved: Reserved) -> Hold:
    lines = None
    seats = reserved.seats
    if data.lines is not None:
        # A typed hold's ninth value is its lines as the script priced them.
        lines, seats = hold_lines(reserved.seats), ""
    return Hold(
        hold_id=reserved.hold_id,
        event_id=event_id,
        section=data.section,
        quantity=quantity,
        amount_cents=reserved.amount_cents,
        currency=reserved.currency,
        status="active",
        expires_at=from_epoch_ms(reserved.expires_at_ms),
        seats=hold_seats(seats),
        discount_code=data.discount_code.upper() if data.discount_code else None,
        discount_cents=reserved.discount_cents if data.discount_code else None,
        lines=lines,
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
    quantity, seats = _seat_request(data)
    admission = tokens.verify(secret, admission_token, event_id=event_id, user_id=user_id)
    if admission.phase_id:
        phase_refusal(admission, data, quantity)
    started = time.perf_counter()
    try:
        reserved = await _reserve(
            scripts,
            event_id,
            user_id,
            admission.session_id,
            data,
            idempotency_key,
            quotas,
            quantity,
            seats,
            DiscountRequest(data.discount_code.upper(), admission.phase_id or "")
            if data.discount_code
            else None,
        )
    except Exception:
        # Timeouts and Redis errors are what closed-loop admission steers away from.
        signals.observe_hold(event_id, time.perf_counter() - started, ok=False)
        raise
    signals.observe_hold(event_id, time.perf_counter() - started, ok=True)
    if not reserved.replayed:
        _HOLD_COUNTERS[reserved.code].inc()
    if reserved.code is not Reserve.OK:
        error = refusal(
            reserved.code, data.section, quantity, reserved.n1, reserved.n2, reserved.seats
        )
        if reserved.replayed:
            error.headers["Idempotent-Replayed"] = "true"
        raise error
    return _created(event_id, data, quantity, reserved), reserved.replayed


def phase_refusal(admission: tokens.Admission, data: HoldIn, quantity: int) -> None:
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
    if admission.max_per_user and quantity > admission.max_per_user:
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
    quantity: int,
    seats: SeatRequest | None,
    discount: DiscountRequest | None,
) -> Reserved:
    return await hold_scripts(scripts).reserve(
        event_id=event_id,
        user_id=user_id,
        session_id=session_id,
        section=data.section,
        quantity=quantity,
        hold_id=new_hold_id(event_id),
        idempotency=_idempotency(user_id, idempotency_key, data, quantity, seats),
        now=now_ms(),
        idempotency_ttl_ms=IDEMPOTENCY_TTL_MS,
        account_quota=quotas[0],
        address_quota=quotas[1],
        seats=seats,
        discount=discount,
        lines=_lines(data),
    )


async def seats_of(
    redis: Redis, event_id: str, section: str, seat_ids: list[str]
) -> list[HoldSeat]:
    """Seat ids with their row and number from the section's map."""
    infos: list[str | None] = await redis.hmget(keys.seat_info(event_id, section), seat_ids)  # type: ignore[misc]
    out = []
    for seat_id, info in zip(seat_ids, infos, strict=True):
        row, number = (info.split("\t")[:2]) if info else ("", "")
        out.append(HoldSeat(seat_id, row, number))
    return out


def hold_from_record(record: dict[str, str], now: int) -> Hold:
    status = record["status"]
    expires_at_ms = int(record["expires_at_ms"])
    if status == "active" and expires_at_ms <= now:
        # Past its expiry; the sweeper returns the seats within a second or two.
        status = "expired"
    code = record.get("discount") or None
    return Hold(
        hold_id=record["hold_id"],
        event_id=record["event_id"],
        section=record["section"],
        quantity=int(record["quantity"]),
        amount_cents=int(record["amount_cents"]),
        currency=record["currency"],
        status=status,  # type: ignore[arg-type]
        expires_at=from_epoch_ms(expires_at_ms),
        discount_code=code,
        discount_cents=int(record.get("discount_cents") or 0) if code else None,
        lines=hold_lines(record.get("lines", "")),
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
        hold = hold_from_record(record, now_ms())
        if record.get("seats"):
            hold.seats = await seats_of(redis, event_id, hold.section, record["seats"].split(","))
        return hold
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
        seats=await seats_of(redis, event_id, row.section, list(row.seats)) if row.seats else None,
        lines=hold_lines(row.lines),
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
