"""Scanner keys, check-in lists with their counts, the scanner's offline copy, conflicts,
scanner grants and a fan's tickets."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime

import asyncpg

from app.core.clock import utcnow
from app.core.errors import AppError, forbidden, invalid, not_found
from app.core.i18n import N_
from app.core.ids import canonical_uuid, new_id
from app.core.security import Principal
from app.core.settings import Settings
from app.events import access
from app.events import service as events
from app.events.model import EventRecord
from app.orgs import roles
from app.tickets import codes, keys, repo
from app.tickets.schemas import (
    CheckinData,
    CheckinList,
    CheckinListIn,
    Conflict,
    ConflictScan,
    DataEvent,
    DataList,
    DataTicket,
    GateCount,
    Rotation,
    Scanner,
    ScannerEvent,
    ScannerKey,
    ScannerKeys,
)


def rotation_of(secret: bytes) -> Rotation:
    return Rotation(secret=codes.secret_b32(secret), step_s=codes.STEP_S, digits=codes.DIGITS)


async def scanner_keys(pool: asyncpg.Pool, settings: Settings, event_id: str) -> ScannerKeys:
    """The event's published public keys; the first key is made here if none exists yet, so
    a scanner set up before the first sale already holds it."""
    event = await events.load_event(pool, event_id)
    if event.status == "draft":
        raise not_found("Event")  # drafts are not public (events.can_view)
    published = await keys.published(pool, event.event_id)
    if not published:
        await keys.current_signer(pool, settings, event.event_id)
        published = await keys.published(pool, event.event_id)
    return ScannerKeys(keys=[present_key(k) for k in published])


def present_key(key: keys.PublishedKey) -> ScannerKey:
    return ScannerKey(
        kid=key.kid,
        alg="Ed25519",
        public_key=codes.b64url(key.public_key),
        not_before=key.not_before,
    )


async def event_for_scanning(
    pool: asyncpg.Pool, principal: Principal, event_id: str
) -> EventRecord:
    """An event the caller may scan (its scanner role, its organizer, an admin); 404 for an
    unknown event, 403 for one the caller may not scan."""
    event = await events.load_event(pool, event_id)
    if await access.may(pool, principal, event, "scan"):
        return event
    if await repo.is_scanner(pool, event.event_id, principal.user_id):
        return event
    raise forbidden(N_("Scanning tickets of this event needs its scanner role"))


async def _list_of(pool: asyncpg.Pool, event: EventRecord, list_id: str | None) -> asyncpg.Record:
    if list_id is None:
        row = await repo.default_list(pool, event.event_id)
    elif canonical_uuid(list_id) is None:
        row = None
    else:
        row = await repo.list_by_id(pool, list_id)
    if row is None or str(row["event_id"]) != event.event_id:
        raise not_found("Check-in list")
    return row


async def checkin_data(
    pool: asyncpg.Pool,
    settings: Settings,
    principal: Principal,
    event_id: str,
    list_id: str | None,
) -> CheckinData:
    """Everything a scanner needs to work offline on one list."""
    event = await event_for_scanning(pool, principal, event_id)
    lst = await _list_of(pool, event, list_id)
    version = await repo.checkin_version(pool, event.event_id)
    await keys.current_signer(pool, settings, event.event_id)  # the first key, if none yet
    signers = await keys.signers(pool, settings, event.event_id)
    published = await keys.published(pool, event.event_id)
    tickets = []
    for t in await repo.checkin_tickets(pool, event.event_id, lst["list_id"], lst["sections"]):
        # A ticket listed for resale does not get in (its seat is on sale again).
        valid = t["voided_at"] is None and not t["listed"]
        signer = signers.get(t["kid"])
        secret = signer.rotation_secret(t["code"]) if valid and signer is not None else None
        tickets.append(
            DataTicket(
                ticket_id=str(t["ticket_id"]),
                section=t["section_code"],
                seq=t["seq"],
                rotation_secret=codes.secret_b32(secret) if secret else "",
                status="valid" if valid else "void",
                inside=t["inside"],
                attendee_name=t["attendee_name"],
            )
        )
    return CheckinData(
        event=DataEvent(event_id=event.event_id, name=event.name, starts_at=event.starts_at),
        keys=[present_key(k) for k in published],
        static_codes=event.static_codes,
        list_=DataList(
            list_id=str(lst["list_id"]),
            name=lst["name"],
            sections=lst["sections"],
            reentry=lst["reentry"],
        ),
        tickets=tickets,
        version=version,
        generated_at=utcnow(),
        step_s=codes.STEP_S,
        digits=codes.DIGITS,
    )


# --- Lists ----------------------------------------------------------------------------------


def _present_list(row: asyncpg.Record, event_id: str) -> CheckinList:
    return CheckinList(
        list_id=str(row["list_id"]),
        event_id=event_id,
        name=row["name"],
        sections=row["sections"],
        reentry=row["reentry"],
        default=row["is_default"],
    )


async def create_list(
    pool: asyncpg.Pool, principal: Principal, event_id: str, body: CheckinListIn
) -> CheckinList:
    event = await events.get_managed_event(pool, principal, event_id)
    known = {s.code for s in event.sections}
    sections = None if body.sections is None else sorted(set(body.sections))
    unknown = sorted(set(sections or ()) - known)
    if unknown:
        raise invalid("sections", f"unknown sections: {', '.join(unknown)}")
    row = await repo.insert_list(pool, new_id(), event.event_id, body.name, sections, body.reentry)
    return _present_list(row, event.event_id)


async def lists(pool: asyncpg.Pool, principal: Principal, event_id: str) -> list[CheckinList]:
    """Every list of the event with its expected, admitted and inside counts and per gate."""
    event = await event_for_scanning(pool, principal, event_id)
    gates: dict[uuid.UUID, list[GateCount]] = defaultdict(list)
    for g in await repo.gate_counts(pool, event.event_id):
        gates[g["list_id"]].append(
            GateCount(gate=g["gate"], admitted=g["admitted"], last_at=g["last_at"])
        )
    out = []
    for row in await repo.lists_with_counts(pool, event.event_id):
        item = _present_list(row, event.event_id)
        item.expected, item.admitted, item.inside = row["expected"], row["admitted"], row["inside"]
        item.gates = gates.get(row["list_id"], [])
        out.append(item)
    return out


# --- Conflicts ------------------------------------------------------------------------------


async def conflicts(pool: asyncpg.Pool, principal: Principal, event_id: str) -> list[Conflict]:
    event = await events.get_managed_event(pool, principal, event_id, need="read")
    out = []
    for row in await repo.conflicts_of_event(pool, event.event_id):
        scans = row["scans"]
        if isinstance(scans, str):
            scans = json.loads(scans)
        out.append(
            Conflict(
                ticket_id=str(row["ticket_id"]),
                section=row["section_code"],
                seq=row["seq"],
                scans=[
                    ConflictScan(
                        gate=s["gate"],
                        device_id=s["device_id"],
                        at=datetime.fromisoformat(s["at"]),
                    )
                    for s in scans
                ],
                resolved=not row["conflict"],
            )
        )
    return out


async def resolve(pool: asyncpg.Pool, principal: Principal, event_id: str, ticket_id: str) -> None:
    event = await events.get_managed_event(pool, principal, event_id)
    if canonical_uuid(ticket_id) is None or not await repo.resolve_conflict(
        pool, event.event_id, ticket_id, principal.user_id
    ):
        raise not_found("Conflict")


# --- Scanner grants -------------------------------------------------------------------------


def _email(value: str) -> str:
    email = value.strip().lower()
    if not 3 <= len(email) <= 254 or email.count("@") != 1 or any(c.isspace() for c in email):
        raise invalid("email", "must be an email address")
    return email


async def grant(pool: asyncpg.Pool, principal: Principal, event_id: str, email: str) -> str:
    event = await events.get_managed_event(pool, principal, event_id)
    address = _email(email)
    await repo.grant_scanner(pool, event.event_id, address, principal.user_id)
    return address


async def revoke(pool: asyncpg.Pool, principal: Principal, event_id: str, email: str) -> str:
    event = await events.get_managed_event(pool, principal, event_id)
    address = _email(email)
    await repo.revoke_scanner(pool, event.event_id, address)
    return address


async def scanners(pool: asyncpg.Pool, principal: Principal, event_id: str) -> list[Scanner]:
    event = await events.get_managed_event(pool, principal, event_id, need="read")
    return [
        Scanner(email=r["email"], granted_at=r["granted_at"])
        for r in await repo.scanners_of_event(pool, event.event_id)
    ]


async def scanner_events(pool: asyncpg.Pool, principal: Principal) -> list[ScannerEvent]:
    rows = await repo.scanner_events(
        pool,
        principal.user_id,
        see_all="admin" in principal.roles,
        scan_roles=roles.roles_allowing("scan"),
    )
    return [
        ScannerEvent(event_id=str(r["event_id"]), name=r["name"], starts_at=r["starts_at"])
        for r in rows
    ]


# --- A fan's tickets ------------------------------------------------------------------------


async def rotation_for(
    pool: asyncpg.Pool, settings: Settings, event_id: str, kid: str | None, code: str
) -> Rotation | None:
    """The rotation of a ticket's code (None for a T1 code from before signing keys)."""
    if kid is None:
        return None
    signer = await keys.signer_of(pool, settings, event_id, kid)
    return None if signer is None else rotation_of(signer.rotation_secret(code))


async def rotate_key(
    pool: asyncpg.Pool,
    settings: Settings,
    principal: Principal,
    event_id: str,
    *,
    retire_old: bool,
) -> tuple[str, int, ScannerKeys]:
    event = await events.get_managed_event(pool, principal, event_id)
    if event.status == "ended" and retire_old:
        raise AppError(
            "invalid_status", 409, "Status change not allowed", N_("The event has ended")
        )
    kid, resigned = await keys.rotate(pool, settings, event.event_id, retire_old=retire_old)
    published = await keys.published(pool, event.event_id)
    return kid, resigned, ScannerKeys(keys=[present_key(k) for k in published])
