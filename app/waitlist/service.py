"""Waiting list: join, status, leave, and the offer step the worker runs each second.

Seats come back to a sold-out section when a hold expires or is released, a
paid order is refunded, or the organizer adds capacity: all of them raise the
section's `available`. The offer step then gives those seats, as a hold of
their own (lua/offer_seats.lua, atomic), to the first waiting fan whose request
fits; that fan checks out the hold like any other. An offer not taken expires
like any hold, its seats come back, and the next fan gets them.
Each offer is announced through the outbox (kind `waitlist_offer`, one row per
hold), drained by the notifications sender.
"""

from __future__ import annotations

import logging

import asyncpg

from app.core import keys
from app.core.clock import from_epoch_ms, now_ms
from app.core.errors import AppError, invalid, not_found, sale_not_open
from app.core.i18n import N_
from app.core.scripts import Scripts
from app.holds.ids import new_hold_id
from app.holds.scripts import Release, hold_scripts
from app.holds.service import seats_of
from app.orders import repo as orders_repo
from app.waitlist.schemas import WaitlistIn, WaitlistOffer, WaitlistStatus
from app.waitlist.scripts import Joined, Offered, waitlist_scripts

log = logging.getLogger("onsale.waitlist")

# An offer lives this long at most (and never longer than the event's hold_ttl_s).
OFFER_TTL_MS = 10 * 60 * 1000
# Offers made in one step of one event (the rest wait a second).
MAX_OFFERS_PER_STEP = 100
OUTBOX_KIND = "waitlist_offer"


def _refusal(code: Joined, data: WaitlistIn, n1: int) -> AppError:
    if code is Joined.NO_EVENT:
        return not_found("Event")
    if code is Joined.SEATS_AVAILABLE:
        return AppError(
            "seats_available",
            409,
            "Seats available",
            f"Section {data.section} has {n1} seats on sale now: join the queue and buy them",
        )
    if code is Joined.LIMIT_PER_ORDER:
        return AppError("limit_exceeded", 409, "Limit exceeded", f"At most {n1} tickets per order")
    if code is Joined.LIMIT_PER_USER:
        return AppError(
            "limit_exceeded", 409, "Limit exceeded", f"At most {n1} tickets per account"
        )
    if code is Joined.NO_SUCH_SECTION:
        return invalid("section", f"no section {data.section!r} in this event")
    return sale_not_open("The sale of this event is over")


async def join(scripts: Scripts, event_id: str, user_id: str, data: WaitlistIn) -> bool:
    """True when a new place was given; a repeat keeps the first place and request."""
    # A returned seat goes to the list as a plain seat of its section: a section sold by
    # ticket type has none to offer (the type, its price and its rules would be lost).
    typed: str | None = await scripts.redis.hget(  # type: ignore[misc]
        keys.ticket_types(event_id), f"{data.section}:types"
    )
    if typed:
        raise AppError(
            "waitlist_not_for_types",
            409,
            "No waiting list here",
            N_("Section {section} sells by ticket type and has no waiting list"),
            params={"section": data.section},
        )
    code, n1 = await waitlist_scripts(scripts).join(
        event_id, user_id, data.section, data.quantity, now_ms()
    )
    if code not in (Joined.JOINED, Joined.ALREADY):
        raise _refusal(code, data, n1)
    return code is Joined.JOINED


async def status(scripts: Scripts, event_id: str, user_id: str) -> WaitlistStatus:
    redis = scripts.redis
    pipe = redis.pipeline(transaction=False)
    pipe.zrank(keys.waitlist_line(event_id), user_id)
    pipe.hget(keys.waitlist_wants(event_id), user_id)
    pipe.hget(keys.waitlist_offers(event_id), user_id)
    rank, want, hold_id = await pipe.execute()
    if want is None:
        raise not_found("Waiting-list place")
    section, _, quantity = str(want).rpartition(":")
    if rank is not None:
        return WaitlistStatus("waiting", section, int(quantity), position=int(rank) + 1)
    if hold_id is None:
        raise not_found("Waiting-list place")
    record: dict[str, str] = await redis.hgetall(keys.hold(event_id, hold_id))  # type: ignore[misc]
    status_ = record.get("status", "expired")
    expires = int(record.get("expires_at_ms", 0))
    if status_ in ("checking_out", "converted"):
        state = "accepted"
    elif status_ == "active" and expires > now_ms():
        state = "offered"
    else:
        return WaitlistStatus("lapsed", section, int(quantity))
    seat_ids = [s for s in record.get("seats", "").split(",") if s]
    offer = WaitlistOffer(
        hold_id=hold_id,
        section=record["section"],
        quantity=int(record["quantity"]),
        amount_cents=int(record["amount_cents"]),
        currency=record["currency"],
        expires_at=from_epoch_ms(expires),
        seats=await seats_of(redis, event_id, record["section"], seat_ids) if seat_ids else None,
    )
    return WaitlistStatus(state, section, int(quantity), offer=offer)  # type: ignore[arg-type]


async def leave(scripts: Scripts, event_id: str, user_id: str) -> None:
    """Off the list; a live offer's seats go back at once (to the next fan)."""
    redis = scripts.redis
    pipe = redis.pipeline(transaction=False)
    pipe.zrem(keys.waitlist_line(event_id), user_id)
    pipe.hget(keys.waitlist_offers(event_id), user_id)
    _, hold_id = await pipe.execute()
    if hold_id is not None:
        code = await hold_scripts(scripts).release(event_id, hold_id, user_id=user_id, now=now_ms())
        if code is Release.NOT_ACTIVE:
            # In checkout: payment decides it now; the fan keeps the offer's record.
            return
    await redis.hdel(keys.waitlist_offers(event_id), user_id)  # type: ignore[misc]
    await redis.hdel(keys.waitlist_wants(event_id), user_id)  # type: ignore[misc]


async def offer_step(scripts: Scripts, event_id: str) -> list[str]:
    """Offer the seats now available to waiting fans; returns the new offers' hold ids."""
    if not await scripts.redis.zcard(keys.waitlist_line(event_id)):
        return []
    made: list[str] = []
    wl = waitlist_scripts(scripts)
    for _ in range(MAX_OFFERS_PER_STEP):
        offer = await wl.offer(event_id, new_hold_id(event_id), OFFER_TTL_MS, now_ms())
        if offer.code is not Offered.OFFERED:
            break
        made.append(offer.hold_id)
        log.info("waiting list of %s: offer %s to %s", event_id, offer.hold_id, offer.user_id)
    return made


async def notify_offers(pool: asyncpg.Pool, scripts: Scripts, event_id: str) -> int:
    """Write one outbox row per offer not yet announced (idempotent on the hold id)."""
    redis = scripts.redis
    pending = await redis.smembers(keys.waitlist_unnotified(event_id))  # type: ignore[misc]
    written = 0
    for hold_id in sorted(pending):
        record: dict[str, str] = await redis.hgetall(keys.hold(event_id, hold_id))  # type: ignore[misc]
        if record:
            payload = {
                "event_id": event_id,
                "user_id": record["user_id"],
                "hold_id": hold_id,
                "section": record["section"],
                "quantity": int(record["quantity"]),
                "amount_cents": int(record["amount_cents"]),
                "currency": record["currency"],
                "expires_at": from_epoch_ms(int(record["expires_at_ms"])).isoformat(),
                # A seated section's offer names its seats ('' in general admission).
                "seats": record.get("seats", ""),
            }
            async with pool.acquire() as conn:
                await orders_repo.insert_outbox(
                    conn, OUTBOX_KIND, f"{OUTBOX_KIND}:{hold_id}", payload
                )
            written += 1
        await redis.srem(keys.waitlist_unnotified(event_id), hold_id)  # type: ignore[misc]
    return written
