"""Organizer operations on events: create, read, list, patch, status changes, copies,
unpublishing and archiving."""

from __future__ import annotations

import hashlib
import secrets
import uuid
import zoneinfo
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import asyncpg
import msgspec
from redis.asyncio import Redis

from app.core import rules
from app.core.clock import utcnow
from app.core.currencies import ISO_4217
from app.core.db import Conn
from app.core.errors import AppError, FieldError, invalid_fields, not_found
from app.core.i18n import N_
from app.core.ids import is_uuid, new_id
from app.core.scripts import Scripts
from app.core.security import Principal
from app.events import access, mirror, repo
from app.events.model import LIVE_STATUSES, EventRecord, SectionRecord, WaitingRoomSettings
from app.events.schemas import DuplicateIn, EventIn, EventPatch, SectionIn, WaitingRoomIn
from app.orgs import service as orgs

# Allowed status changes: action -> (from statuses, to status)
TRANSITIONS = {
    "publish": ({"draft"}, "published"),
    "pause": ({"published"}, "paused"),
    "resume": ({"paused"}, "published"),
}
# The outbox message of each transition (the event stream's event.published, ...).
STATUS_MESSAGES = {"publish": "event_published", "pause": "event_paused", "resume": "event_resumed"}


def new_fairness_seed() -> tuple[str, str]:
    seed = secrets.token_hex(32)
    return seed, hashlib.sha256(seed.encode()).hexdigest()


def _aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


def validate(event: EventRecord) -> None:
    """Every rule an event must satisfy, reported together as a field list."""
    errors: list[FieldError] = []
    for name in ("starts_at", "onsale_at", "offsale_at"):
        if not _aware(getattr(event, name)):
            errors.append(
                FieldError(field=name, message="must include a UTC offset", rule=rules.FORMAT)
            )
    if not errors:
        if event.onsale_at >= event.offsale_at:
            errors.append(FieldError(field="offsale_at", message="must be after onsale_at"))
        if event.starts_at <= event.onsale_at:
            errors.append(FieldError(field="starts_at", message="must be after onsale_at"))
    prequeue = event.waiting_room.prequeue_opens_at
    if prequeue is not None:
        if not _aware(prequeue):
            errors.append(
                FieldError(
                    field="waiting_room.prequeue_opens_at",
                    message="must include a UTC offset",
                    rule=rules.FORMAT,
                )
            )
        elif _aware(event.onsale_at) and prequeue > event.onsale_at:
            errors.append(
                FieldError(
                    field="waiting_room.prequeue_opens_at", message="must not be after onsale_at"
                )
            )
    if event.currency not in ISO_4217:
        errors.append(
            FieldError(
                field="currency", message="must be an ISO 4217 code, e.g. EUR", rule=rules.FORMAT
            )
        )
    try:
        zoneinfo.ZoneInfo(event.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.append(
            FieldError(field="timezone", message="must be an IANA time zone", rule=rules.FORMAT)
        )
    codes = [s.code for s in event.sections]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        errors.append(
            FieldError(
                field="sections", message=f"duplicate section codes: {', '.join(duplicates)}"
            )
        )
    for i, section in enumerate(event.sections):
        if section.capacity <= 0:
            errors.append(
                FieldError(field=f"sections[{i}].capacity", message="must be > 0", rule=rules.MIN)
            )
    if errors:
        raise invalid_fields(errors)


def _sections(items: list[SectionIn]) -> tuple[SectionRecord, ...]:
    return tuple(
        SectionRecord(
            code=s.code, name=s.name, price_cents=s.price_cents, capacity=s.capacity, sold=0
        )
        for s in items
    )


def _waiting_room(value: WaitingRoomIn) -> WaitingRoomSettings:
    return WaitingRoomSettings(
        enabled=value.enabled,
        admit_batch_size=value.admit_batch_size,
        admit_interval_s=value.admit_interval_s,
        max_active_shoppers=value.max_active_shoppers,
        session_ttl_s=value.session_ttl_s,
        prequeue_opens_at=value.prequeue_opens_at,
        mode=value.mode,
    )


def can_manage(principal: Principal, event: EventRecord) -> bool:
    """Without a database read: an admin, or the organizer who created the event (routes
    that can ask Postgres check the caller's role in the event's organization instead)."""
    return "admin" in principal.roles or (
        "organizer" in principal.roles and event.organizer_id == principal.user_id
    )


async def can_view(conn: Conn, principal: Principal | None, event: EventRecord) -> bool:
    """Published events are public; a draft only to members of its organization."""
    if event.status != "draft":
        return True
    return principal is not None and await access.role_for(conn, principal, event) is not None


async def create_event(
    pool: asyncpg.Pool, redis: Redis, scripts: Scripts, principal: Principal, data: EventIn
) -> EventRecord:
    seed, seed_sha = new_fairness_seed()
    async with pool.acquire() as conn, conn.transaction():
        org_id = await orgs.org_for_new_event(
            conn, principal, None if data.org_id is msgspec.UNSET else data.org_id
        )
        event = _new_event(principal, data, org_id, seed, seed_sha)
        validate(event)
        await repo.insert_event(conn, event)
    await mirror.sync_event(redis, scripts, event)
    return event


def _new_event(
    principal: Principal, data: EventIn, org_id: str, seed: str, seed_sha: str
) -> EventRecord:
    return EventRecord(
        event_id=new_id(),
        organizer_id=principal.user_id,
        status="draft",
        name=data.name,
        venue=data.venue,
        starts_at=data.starts_at,
        timezone=data.timezone,
        onsale_at=data.onsale_at,
        offsale_at=data.offsale_at,
        currency=data.currency.upper(),
        hold_ttl_s=data.hold_ttl_s,
        max_per_order=data.max_per_order,
        max_per_user=data.max_per_user,
        waiting_room=_waiting_room(data.waiting_room),
        fairness_seed=seed,
        fairness_seed_sha256=seed_sha,
        sections=_sections(data.sections),
        static_codes=data.static_codes,
        require_verified_email=data.require_verified_email,
        org_id=org_id,
    )


async def load_event(
    pool: asyncpg.Pool | asyncpg.Connection, event_id: str, *, for_update: bool = False
) -> EventRecord:
    """The event; with for_update (inside a transaction) its row stays locked until commit,
    so a PATCH, a status change and the lifecycle never interleave on one event."""
    if not is_uuid(event_id):
        raise not_found("Event")
    event = await repo.get_event(pool, event_id, for_update=for_update)
    if event is None:
        raise not_found("Event")
    return event


async def get_visible_event(
    pool: asyncpg.Pool, principal: Principal | None, event_id: str
) -> EventRecord:
    event = await load_event(pool, event_id)
    if not await can_view(pool, principal, event):
        raise not_found("Event")
    return event


async def visible_event_id(pool: asyncpg.Pool, principal: Principal, event_id: uuid.UUID) -> str:
    """The canonical id of an event the caller may see; any other (a draft of another
    organizer, an unknown id) is 404, so nothing reveals that it exists."""
    return (await get_visible_event(pool, principal, str(event_id))).event_id


async def get_managed_event(
    pool: asyncpg.Pool | asyncpg.Connection,
    principal: Principal,
    event_id: str,
    *,
    for_update: bool = False,
    need: str = "edit",
) -> EventRecord:
    """An event whose organization gives the caller a role allowing `need` (read, edit,
    refund, scan); another organization's event is a 404, a role that falls short a 403."""
    await access.require_staff(pool, principal)
    event = await load_event(pool, event_id, for_update=for_update)
    await access.authorize(pool, principal, event, need)
    return event


async def list_events(
    pool: asyncpg.Pool,
    principal: Principal | None,
    status: str | None,
    *,
    archived: bool = False,
    org_id: str | None = None,
) -> list[EventRecord]:
    if org_id is not None and not is_uuid(org_id):
        return []
    return await repo.list_events(
        pool,
        status=status,
        viewer_id=principal.user_id if principal else None,
        see_all=principal is not None and "admin" in principal.roles,
        archived=archived,
        org_id=org_id,
    )


async def patch_event(
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
    principal: Principal,
    event_id: str,
    data: EventPatch,
) -> EventRecord:
    async with pool.acquire() as conn, conn.transaction():
        current = await get_managed_event(conn, principal, event_id, for_update=True)
        _not_archived(current)
        changes = {
            f: getattr(data, f)
            for f in data.__struct_fields__
            if getattr(data, f) is not msgspec.UNSET and f not in ("sections", "waiting_room")
        }
        if "currency" in changes:
            changes["currency"] = changes["currency"].upper()
        if data.sections is not msgspec.UNSET:
            if current.status != "draft":
                raise AppError(
                    "event_not_draft",
                    409,
                    "Event already published",
                    "Sections of a published event change through the capacity endpoint",
                )
            changes["sections"] = _sections(data.sections)
        if data.waiting_room is not msgspec.UNSET:
            changes["waiting_room"] = _waiting_room(data.waiting_room)
        updated = msgspec.structs.replace(current, **changes)
        validate(updated)
        if current.status != "draft":
            await _live_sale_guards(conn, current, updated)
        await repo.update_event(conn, updated)
        if "sections" in changes:
            await repo.replace_sections(conn, updated)
    await mirror.sync_event(redis, scripts, updated)
    return updated


# A published event's holds must outlive a card payment and stay within Stripe's patience.
LIVE_HOLD_TTL_S = (60, 3600)


async def _live_sale_guards(
    conn: asyncpg.Connection, current: EventRecord, updated: EventRecord
) -> None:
    """What a PATCH may not do to a published event: prices already charged or a sale that
    opens in the past."""
    errors: list[FieldError] = []
    if updated.currency != current.currency and await repo.has_sales(conn, current.event_id):
        errors.append(FieldError(field="currency", message="cannot change after the first sale"))
    low, high = LIVE_HOLD_TTL_S
    if updated.hold_ttl_s != current.hold_ttl_s and not low <= updated.hold_ttl_s <= high:
        errors.append(
            FieldError(
                field="hold_ttl_s",
                message=f"must be between {low} and {high} seconds for a published event",
            )
        )
    now = utcnow()
    # Opening a scheduled sale now is fine; rewriting the start of one already open is not
    # (the pre-queue draw and every fan's wait were computed from it).
    if (
        current.onsale_at <= now
        and updated.onsale_at != current.onsale_at
        and (updated.onsale_at < now)
    ):
        errors.append(
            FieldError(field="onsale_at", message="must not be in the past for an event on sale")
        )
    if errors:
        raise invalid_fields(errors)


async def change_status(
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
    principal: Principal,
    event_id: str,
    action: str,
) -> EventRecord:
    allowed_from, target = TRANSITIONS[action]
    async with pool.acquire() as conn, conn.transaction():
        current = await get_managed_event(conn, principal, event_id, for_update=True)
        _not_archived(current)
        if current.status != target:
            if current.status not in allowed_from:
                raise AppError(
                    "invalid_status",
                    409,
                    "Status change not allowed",
                    f"Cannot {action} an event that is {current.status}",
                )
            await repo.set_status(conn, event_id, target, STATUS_MESSAGES[action])
        updated = msgspec.structs.replace(current, status=target)
    await mirror.sync_event(redis, scripts, updated)
    return updated


def _not_archived(event: EventRecord) -> None:
    if event.archived_at is not None:
        raise AppError(
            "event_archived",
            409,
            "Event archived",
            N_("This event is archived: duplicate it to sell again"),
        )


async def unpublish(
    pool: asyncpg.Pool, redis: Redis, scripts: Scripts, principal: Principal, event_id: str
) -> EventRecord:
    """Back to draft, only before the first sale (an order, pending included, or a sold
    seat): fans who bought keep their event."""
    async with pool.acquire() as conn, conn.transaction():
        current = await get_managed_event(conn, principal, event_id, for_update=True)
        _not_archived(current)
        if current.status == "draft":
            return current
        if current.status not in ("published", "paused"):
            raise AppError(
                "invalid_status",
                409,
                "Status change not allowed",
                f"Cannot unpublish an event that is {current.status}",
            )
        if await repo.has_sales(conn, current.event_id):
            raise AppError(
                "event_has_sales",
                409,
                "Event has sales",
                N_("Tickets of this event are sold: it can be paused, not unpublished"),
            )
        await repo.set_status(conn, current.event_id, "draft", "event_unpublished")
        updated = msgspec.structs.replace(current, status="draft")
    await mirror.sync_event(redis, scripts, updated)
    return updated


async def archive(pool: asyncpg.Pool, principal: Principal, event_id: str) -> EventRecord:
    """Out of the lists, kept with its orders; a live sale is paused or ended first."""
    async with pool.acquire() as conn, conn.transaction():
        current = await get_managed_event(conn, principal, event_id, for_update=True)
        if current.status in LIVE_STATUSES:
            raise AppError(
                "event_live",
                409,
                "Event on sale",
                N_("Unpublish the event or let its sale end before archiving it"),
            )
        await repo.set_archived(conn, current.event_id)
        updated = await load_event(conn, current.event_id)
    return updated


@runtime_checkable
class PhaseRooms(Protocol):
    """The sale phases' room schedule of a duplicated event (app.phases, which sits above
    events, provides it through app.deps): the copied phases mirrored into Redis, where the
    queue scripts check a join's phase against it."""

    async def sync(self, pool: asyncpg.Pool, redis: Redis, event_id: str) -> None: ...


@runtime_checkable
class SeatMaps(Protocol):
    """The seat maps of a duplicated event (app.seating, which sits above events, provides
    it through app.deps): the record inside the duplicate's transaction, then Redis."""

    async def copy(self, conn: Conn, source_id: str, target_id: str) -> list[str]:
        """The source's seated sections' maps onto the copy; the sections copied."""
        ...

    async def load(self, pool: asyncpg.Pool, event_id: str, codes: list[str]) -> None:
        """Those sections' maps into Redis, as an import leaves them."""
        ...


async def duplicate(
    pool: asyncpg.Pool,
    redis: Redis,
    scripts: Scripts,
    principal: Principal,
    event_id: str,
    data: DuplicateIn,
    seat_maps: SeatMaps | None = None,
    phase_rooms: PhaseRooms | None = None,
) -> EventRecord:
    """A new draft in the same organization with the source's texts, settings, sections
    (nothing sold; a seated section keeps its map: seats, categories and blocks, through
    `seat_maps`, or without it is general admission) and phases, every date moved by
    `shift_days`; a new fairness seed."""
    seed, seed_sha = new_fairness_seed()
    shift = timedelta(days=data.shift_days)
    async with pool.acquire() as conn, conn.transaction():
        source = await get_managed_event(conn, principal, event_id)
        wr = source.waiting_room
        copy = msgspec.structs.replace(
            source,
            event_id=new_id(),
            organizer_id=principal.user_id,
            status="draft",
            name=source.name if data.name is msgspec.UNSET else data.name,
            starts_at=source.starts_at + shift,
            onsale_at=source.onsale_at + shift,
            offsale_at=source.offsale_at + shift,
            waiting_room=msgspec.structs.replace(
                wr,
                prequeue_opens_at=None
                if wr.prequeue_opens_at is None
                else wr.prequeue_opens_at + shift,
            ),
            fairness_seed=seed,
            fairness_seed_sha256=seed_sha,
            sections=tuple(
                msgspec.structs.replace(s, sold=0, seated=False) for s in source.sections
            ),  # seated again below, with their maps
            archived_at=None,
        )
        validate(copy)
        await repo.insert_event(conn, copy)
        await repo.copy_phases(conn, source.event_id, copy.event_id, int(shift.total_seconds()))
        types = await repo.copy_ticket_types(
            conn, source.event_id, copy.event_id, int(shift.total_seconds())
        )
        seated = [] if seat_maps is None else await seat_maps.copy(conn, event_id, copy.event_id)
        if seated:
            copy = await repo.get_event(conn, copy.event_id) or copy
    await mirror.load_ticket_types(scripts, copy.event_id, types)
    if seated:
        assert seat_maps is not None
        await seat_maps.load(pool, copy.event_id, seated)
    await mirror.sync_event(redis, scripts, copy)
    if phase_rooms is not None:
        await phase_rooms.sync(pool, redis, copy.event_id)
    return copy


def seed_revealed(event: EventRecord) -> bool:
    return event.status != "draft" and utcnow() >= event.onsale_at
