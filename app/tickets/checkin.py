"""Check-in: a scan online (one entry per ticket and list, under the state row's lock) and
the offline scans a device uploads (sync), where two gates that both admitted one ticket
become a conflict that refuses it until an organizer resolves it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from app.core.clock import utcnow
from app.core.errors import AppError, forbidden, not_found
from app.core.i18n import N_
from app.core.ids import canonical_uuid
from app.core.security import Principal
from app.core.settings import Settings
from app.orgs import roles
from app.tickets import codes, door, keys, repo
from app.tickets.schemas import (
    CheckinIn,
    CheckinOut,
    FirstEntry,
    OfflineScan,
    Result,
    SyncIn,
    SyncOut,
    SyncResult,
)

NIL = "00000000-0000-0000-0000-000000000000"
# A device clock ahead of the server by more than this is not believed.
MAX_CLOCK_AHEAD = timedelta(minutes=2)
# What an offline scan's own answer may have been (anything else counts as a refusal).
_REFUSALS = {"already_in", "void", "invalid", "wrong_event", "stale", "wrong_list", "not_inside"}


@dataclass(frozen=True)
class Context:
    """The list a scan is for, the caller's right to scan it, and the ticket's record."""

    row: asyncpg.Record

    @property
    def list_id(self) -> uuid.UUID:
        value: uuid.UUID = self.row["list_id"]
        return value

    @property
    def event_id(self) -> str:
        return str(self.row["event_id"])

    def admits_section(self, section: str) -> bool:
        sections = self.row["sections"]
        return sections is None or section in sections


def reentry_not_allowed() -> AppError:
    return AppError(
        "reentry_not_allowed",
        409,
        "No re-entry on this list",
        N_("This check-in list does not allow exit and re-entry"),
    )


def _may_scan(principal: Principal, row: asyncpg.Record) -> bool:
    """An admin, an account granted the event's scanner role, or a member of the event's
    organization whose role allows scanning."""
    if "admin" in principal.roles or row["is_scanner"]:
        return True
    return roles.allows(row["org_role"], "scan")


async def _context(
    pool: asyncpg.Pool,
    principal: Principal,
    *,
    list_id: str | None,
    event_id: str | None,
    ticket_id: str,
) -> Context:
    """The scan's list (named, else the event's default) with the ticket; 404 for an unknown
    list or event, 403 when the caller may not scan it."""
    if list_id is not None and canonical_uuid(list_id) is None:
        raise not_found("Check-in list")
    if list_id is None and (event_id is None or canonical_uuid(event_id) is None):
        raise not_found("Event")
    row = await repo.checkin_context(pool, list_id, event_id or NIL, principal.user_id, ticket_id)
    if row is None:
        raise not_found("Check-in list") if list_id else not_found("Event")
    if event_id is not None and list_id is not None and str(row["event_id"]) != event_id:
        raise not_found("Check-in list")
    if not _may_scan(principal, row):
        raise forbidden(N_("Scanning tickets of this event needs its scanner role"))
    return Context(row)


def _claim_ticket(parsed: codes.Parsed | None) -> str:
    if parsed is None:
        return NIL
    return canonical_uuid(parsed.claim.ticket_id) or NIL


async def _genuine_elsewhere(pool: asyncpg.Pool, settings: Settings, parsed: codes.Parsed) -> bool:
    """Whether a code of another event is genuine (that event's key signed it)."""
    other = canonical_uuid(parsed.claim.event_id)
    if other is None:
        return False
    key = await keys.signer_of(pool, settings, other, parsed.claim.kid)
    if key is None:
        return False
    try:
        codes.check_signature(key.public_key, parsed)
    except codes.BadCode:
        return False
    return True


async def _verdict(
    pool: asyncpg.Pool, settings: Settings, ctx: Context, code: str, now: float
) -> tuple[door.Verdict, codes.Parsed | None]:
    """The door's verdict with the event's keys (retired ones too: a code still stored is
    checked against the record, which refuses any other)."""
    try:
        kid = codes.parse(code).claim.kid
    except codes.BadCode:
        kid = ""
    signers = await keys.signers_for_scan(pool, settings, ctx.event_id, kid)
    verdict, parsed = door.check(
        code,
        event_id=ctx.event_id,
        public_keys={kid: k.public_key for kid, k in signers.items()},
        secret_of=lambda p: signers[p.claim.kid].rotation_secret(p.signed),
        static_codes=bool(ctx.row["static_codes"]),
        now=now,
    )
    if verdict == "wrong_event" and (
        parsed is None or not await _genuine_elsewhere(pool, settings, parsed)
    ):
        verdict = "invalid"
    return verdict, parsed


def _ticket_result(ctx: Context, parsed: codes.Parsed) -> str | None:
    """void / wrong_list / invalid from the record, None when the ticket may go on."""
    row = ctx.row
    if row["ticket_id"] is None:
        return "invalid"  # signed by the event's key, yet no such ticket on record
    if row["voided_at"] is not None or row["code"] != parsed.signed:
        return "void"  # refunded, moved or re-signed: this code is dead
    if row["listed"]:
        return "void"  # listed for resale: its seat is on sale again until withdrawn
    if not ctx.admits_section(row["section_code"]):
        return "wrong_list"
    return None


async def scan(
    pool: asyncpg.Pool, settings: Settings, principal: Principal, body: CheckinIn
) -> CheckinOut:
    """One scan at a gate, online."""
    now = utcnow()
    at = min(body.scanned_at or now, now)
    try:
        parsed: codes.Parsed | None = codes.parse(body.code)
    except codes.BadCode:
        parsed = None
    ticket_id = _claim_ticket(parsed)
    event_id = body.event_id or (
        parsed.claim.event_id if parsed is not None and body.list_id is None else None
    )
    if parsed is None and body.list_id is None and body.event_id is None:
        # Nothing names an event: the caller must at least scan somewhere.
        if not await _scans_anything(pool, principal):
            raise forbidden(N_("Scanning tickets of this event needs its scanner role"))
        return CheckinOut(result="invalid")
    try:
        ctx = await _context(
            pool, principal, list_id=body.list_id, event_id=event_id, ticket_id=ticket_id
        )
    except AppError as exc:
        # The code named an event that does not exist: a forgery, not a missing event.
        named = body.list_id is not None or body.event_id is not None
        if exc.code != "not_found" or named or not await _scans_anything(pool, principal):
            raise
        return CheckinOut(result="invalid")
    verdict, parsed = await _verdict(pool, settings, ctx, body.code, now.timestamp())
    if verdict in ("invalid", "wrong_event") or parsed is None:
        return CheckinOut(result="invalid" if verdict == "ok" else verdict)
    tid = ctx.row["ticket_id"]
    out = CheckinOut(result="invalid")
    refused = "stale" if verdict == "stale" else _ticket_result(ctx, parsed)
    if refused is not None:
        if tid is not None:
            await _log(pool, ctx, tid, body, refused, at)
        return _out(ctx, refused)
    if body.direction == "out":
        if not ctx.row["reentry"]:
            raise reentry_not_allowed()
        result = await repo.leave(
            pool,
            list_id=ctx.list_id,
            ticket_id=tid,
            event_id=ctx.row["event_id"],
            gate=body.gate,
            device_id=body.device_id,
            at=at,
        )
        return _out(ctx, result)
    if ctx.row["conflict"]:
        await _log(pool, ctx, tid, body, "already_in", at)
        out = _out(ctx, "already_in", conflict=True)
        out.first = FirstEntry(gate=ctx.row["first_gate"], at=ctx.row["first_at"])
        return out
    result = await repo.admit(
        pool,
        list_id=ctx.list_id,
        ticket_id=tid,
        event_id=ctx.row["event_id"],
        gate=body.gate,
        device_id=body.device_id,
        at=at,
        code=parsed.signed,
        reentry=bool(ctx.row["reentry"]),
    )
    out = _out(ctx, result)
    if result == "already_in":
        first = await repo.checkin_first(pool, ctx.list_id, tid)
        if first is not None:
            out.first = FirstEntry(gate=first["first_gate"], at=first["first_at"])
            out.conflict = bool(first["conflict"])
    return out


def _out(ctx: Context, result: str, *, conflict: bool = False) -> CheckinOut:
    row = ctx.row
    return CheckinOut(
        result=result,  # type: ignore[arg-type]
        ticket_id=str(row["ticket_id"]) if row["ticket_id"] is not None else None,
        section=row["section_code"],
        seq=row["seq"],
        conflict=conflict,
        attendee_name=row["attendee_name"] or None if row["ticket_id"] is not None else None,
        name_missing=bool(
            row["ticket_id"] is not None and row["name_required"] and not row["attendee_name"]
        ),
    )


async def _log(
    pool: asyncpg.Pool,
    ctx: Context,
    ticket_id: uuid.UUID,
    body: CheckinIn,
    result: str,
    at: datetime,
) -> None:
    await repo.log_scan(
        pool,
        list_id=ctx.list_id,
        event_id=ctx.row["event_id"],
        ticket_id=ticket_id,
        gate=body.gate,
        device_id=body.device_id,
        direction=body.direction,
        result=result,
        at=at,
    )


async def _scans_anything(pool: asyncpg.Pool, principal: Principal) -> bool:
    if principal.has("organizer"):
        return True
    rows = await repo.scanner_events(
        pool, principal.user_id, see_all=False, scan_roles=roles.roles_allowing("scan")
    )
    return bool(rows)


# --- Offline scans --------------------------------------------------------------------------


async def sync(
    pool: asyncpg.Pool, settings: Settings, principal: Principal, body: SyncIn
) -> SyncOut:
    """A device's offline scans, applied in the order they were made. Each is recorded once
    (a retried upload answers the same); an admission of a ticket already inside (another
    gate let it in, online or offline) is a conflict."""
    now = utcnow()
    order = sorted(range(len(body.scans)), key=lambda i: body.scans[i].scanned_at)
    results: list[SyncResult | None] = [None] * len(body.scans)
    events: set[str] = set()
    for i in order:
        scan_in = body.scans[i]
        results[i], event_id = await _apply_offline(pool, settings, principal, body, scan_in, now)
        if event_id:
            events.add(event_id)
    version = 0
    for event_id in events:
        version = max(version, await repo.checkin_version(pool, event_id))
    return SyncOut(results=[r for r in results if r is not None], checkin_data_version=version)


async def _apply_offline(
    pool: asyncpg.Pool,
    settings: Settings,
    principal: Principal,
    body: SyncIn,
    scan_in: OfflineScan,
    now: datetime,
) -> tuple[SyncResult, str | None]:
    at = min(scan_in.scanned_at, now + MAX_CLOCK_AHEAD)
    try:
        parsed: codes.Parsed | None = codes.parse(scan_in.code)
    except codes.BadCode:
        parsed = None
    list_id = scan_in.list_id or body.list_id
    event_id = body.event_id or (
        parsed.claim.event_id if parsed is not None and list_id is None else None
    )
    if parsed is None and list_id is None and event_id is None:
        return SyncResult(result="invalid", conflict=False), None
    try:
        ctx = await _context(
            pool, principal, list_id=list_id, event_id=event_id, ticket_id=_claim_ticket(parsed)
        )
    except AppError as exc:
        if exc.code != "not_found" or list_id is not None or body.event_id is not None:
            raise
        return SyncResult(result="invalid", conflict=False), None
    verdict, parsed = await _verdict(pool, settings, ctx, scan_in.code, at.timestamp())
    tid = ctx.row["ticket_id"]
    if verdict in ("invalid", "wrong_event") or parsed is None or tid is None:
        refusal: Result = "wrong_event" if verdict == "wrong_event" else "invalid"
        return SyncResult(result=refusal, conflict=False), ctx.event_id
    async with pool.acquire() as conn, conn.transaction():
        scan_id = await repo.log_offline_scan(
            conn,
            list_id=ctx.list_id,
            event_id=ctx.row["event_id"],
            ticket_id=tid,
            gate=scan_in.gate,
            device_id=body.device_id,
            direction=scan_in.direction,
            local_result=scan_in.local_result,
            at=at,
        )
        result: str | None
        if scan_id is None:  # uploaded before: the same answer
            result = await repo.offline_scan_result(
                conn, ctx.list_id, tid, body.device_id, at, scan_in.direction
            )
        else:
            refused = "stale" if verdict == "stale" else _ticket_result(ctx, parsed)
            result = refused or await _offline_state(conn, ctx, tid, body, scan_in, at)
            await repo.set_scan_result(conn, scan_id, result)
    conflict = result == "conflict"
    return (
        SyncResult(
            result="already_in" if conflict else (result or "invalid"),  # type: ignore[arg-type]
            conflict=conflict,
            ticket_id=str(tid),
        ),
        ctx.event_id,
    )


async def _offline_state(
    conn: asyncpg.Connection,
    ctx: Context,
    ticket_id: uuid.UUID,
    body: SyncIn,
    scan_in: OfflineScan,
    at: datetime,
) -> str:
    """The entry state after one genuine, valid offline scan (under the state row's lock)."""
    list_id, reentry = ctx.list_id, bool(ctx.row["reentry"])
    if scan_in.direction == "out":
        if not reentry:
            return "invalid"
        return "exited" if await repo.exit_state(conn, list_id, ticket_id, at) else "not_inside"
    state = await repo.state_for_update(conn, list_id, ticket_id)
    if scan_in.local_result != "admitted":
        # The device refused it: nothing changes; its reason stands (the record's when the
        # ticket is inside).
        if state is not None and state["inside"]:
            return "already_in"
        return scan_in.local_result if scan_in.local_result in _REFUSALS else "invalid"
    if state is None:
        inserted = await repo.insert_state(
            conn,
            list_id=list_id,
            ticket_id=ticket_id,
            event_id=ctx.row["event_id"],
            gate=scan_in.gate,
            device_id=body.device_id,
            at=at,
        )
        if inserted:
            return "admitted"
        state = await repo.state_for_update(conn, list_id, ticket_id)
        assert state is not None
    if state["conflict"]:
        return "conflict"
    if state["inside"] or not reentry:
        # The ticket got in twice: through another gate (online or offline) and here.
        await repo.mark_conflict(conn, list_id, ticket_id)
        return "conflict"
    await repo.reenter_state(conn, list_id, ticket_id, at, scan_in.gate)
    return "admitted"
