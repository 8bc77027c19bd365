"""Ticket signing keys per event: Ed25519, the private seed sealed at rest, rotation.

Each event has one current key (the newest not retired) that signs new tickets;
older keys stay published (scanner-key, checkin-data) while a valid ticket
carries them, until they are retired, which `rotate(..., retire_old=True)` does
after re-signing every ticket with the new key (what to do when a seed may
have leaked). The seed is sealed with
app.core.sealed under ONSALE_SECRET_KEY for this purpose only, bound to
(event, kid): a row copied to another event does not open.

Keys never change once written, so each process keeps the ones it has opened;
the current key of an event is re-read every SIGNER_TTL_S (a rotation reaches
every process within that time).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.core.db import Conn
from app.core.sealed import Sealer
from app.core.settings import Settings
from app.tickets import codes, repo

PURPOSE = "onsale:ticket-signing-key"
SIGNER_TTL_S = 10.0


@dataclass(frozen=True)
class SigningKey:
    """An event key opened for signing and for deriving rotation secrets."""

    event_id: str
    kid: str
    private_key: Ed25519PrivateKey
    public_key: Ed25519PublicKey
    rotation_key: bytes

    def sign(self, ticket_id: str, section: str, seq: int, seat: str | None = None) -> str:
        claim = codes.TicketClaim(self.kid, ticket_id, self.event_id, section, seq, seat or "")
        return codes.sign_code(self.private_key, claim)

    def rotation_secret(self, signed_code: str) -> bytes:
        return codes.rotation_secret(self.rotation_key, signed_code)


@dataclass(frozen=True)
class PublishedKey:
    kid: str
    public_key: bytes
    not_before: datetime


@lru_cache(maxsize=4)
def _sealer(secret: str) -> Sealer:
    return Sealer(secret, PURPOSE)


def _context(event_id: str, kid: str) -> bytes:
    return uuid.UUID(event_id).bytes + kid.encode("ascii")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return codes.public_key_raw(key)


def new_key(settings: Settings, event_id: str) -> tuple[str, bytes, bytes]:
    """(kid, raw public key, sealed seed) of a fresh key for the event."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = _raw_public(private.public_key())
    kid = codes.key_id(public)
    return kid, public, _sealer(settings.secret_key).seal(seed, _context(event_id, kid))


def open_key(settings: Settings, event_id: str, kid: str, sealed_seed: bytes) -> SigningKey:
    """BadSeal (app.core.sealed) when sealed under another secret or for another event."""
    seed = _sealer(settings.secret_key).open(sealed_seed, _context(event_id, kid))
    private = Ed25519PrivateKey.from_private_bytes(seed)
    return SigningKey(
        event_id=event_id,
        kid=kid,
        private_key=private,
        public_key=private.public_key(),
        rotation_key=codes.rotation_key(seed),
    )


# Opened keys by (event, kid): immutable, so kept for the process's life (bounded).
_opened: dict[tuple[str, str], SigningKey] = {}
_OPENED_MAX = 4096
# The current key of an event and when it was read.
_current: dict[str, tuple[float, SigningKey]] = {}


def forget() -> None:
    """Drop what this process remembers (tests that rotate from outside the process)."""
    _opened.clear()
    _current.clear()
    _event_keys.clear()


def _remember(key: SigningKey) -> SigningKey:
    if len(_opened) >= _OPENED_MAX:
        _opened.clear()
    _opened[(key.event_id, key.kid)] = key
    return key


async def current_signer(pool: Conn, settings: Settings, event_id: str) -> SigningKey:
    """The key that signs the event's new tickets, created on first use."""
    cached = _current.get(event_id)
    if cached is not None and time.monotonic() - cached[0] < SIGNER_TTL_S:
        return cached[1]
    row = await repo.current_key(pool, event_id)
    if row is None:
        row = await _create_first(pool, settings, event_id)
    key = _opened.get((event_id, row["kid"])) or _remember(
        open_key(settings, event_id, row["kid"], row["sealed_seed"])
    )
    _current[event_id] = (time.monotonic(), key)
    return key


async def _create_first(pool: Conn, settings: Settings, event_id: str) -> asyncpg.Record:
    kid, public, sealed = new_key(settings, event_id)
    # The insert is a no-op when another process created the first key meanwhile (it
    # holds the event's advisory lock): either way one current key results.
    row = await repo.insert_first_key(pool, event_id, kid, public, sealed)
    if row is None:
        row = await repo.current_key(pool, event_id)
    assert row is not None
    return row


async def signer_of(pool: Conn, settings: Settings, event_id: str, kid: str) -> SigningKey | None:
    """An event key by kid (retired ones too: their codes are still stored until re-signed)."""
    key = _opened.get((event_id, kid))
    if key is not None:
        return key
    row = await repo.key_by_kid(pool, event_id, kid)
    if row is None:
        return None
    return _remember(open_key(settings, event_id, kid, row["sealed_seed"]))


async def signers(pool: Conn, settings: Settings, event_id: str) -> dict[str, SigningKey]:
    """Every key of the event by kid, opened."""
    out: dict[str, SigningKey] = {}
    for row in await repo.keys_of_event(pool, event_id):
        kid = row["kid"]
        out[kid] = _opened.get((event_id, kid)) or _remember(
            open_key(settings, event_id, kid, row["sealed_seed"])
        )
    return out


# Every key of an event as a scan needs them, and when they were read.
_event_keys: dict[str, tuple[float, dict[str, SigningKey]]] = {}


async def signers_for_scan(
    pool: Conn, settings: Settings, event_id: str, kid: str
) -> dict[str, SigningKey]:
    """The event's keys without a query per scan: re-read after SIGNER_TTL_S, or at once
    when a code names a kid this process has not seen (a rotation in another process)."""
    cached = _event_keys.get(event_id)
    now = time.monotonic()
    if cached is not None and now - cached[0] < SIGNER_TTL_S and kid in cached[1]:
        return cached[1]
    found = await signers(pool, settings, event_id)
    if len(_event_keys) >= _OPENED_MAX:
        _event_keys.clear()
    _event_keys[event_id] = (now, found)
    return found


async def published(pool: Conn, event_id: str) -> list[PublishedKey]:
    """The event's keys a scanner trusts, oldest first: the current key, and older ones not
    retired while a valid ticket still carries them (once every ticket of an old key is
    re-signed, moved or refunded, scanners stop trusting it)."""
    rows = [r for r in await repo.keys_of_event(pool, event_id) if r["retired_at"] is None]
    return [
        PublishedKey(
            kid=row["kid"],
            public_key=bytes(row["public_key"]),
            not_before=row["not_before"],
        )
        for i, row in enumerate(rows)
        if row["in_use"] or i == len(rows) - 1
    ]


async def rotate(
    pool: asyncpg.Pool, settings: Settings, event_id: str, *, retire_old: bool
) -> tuple[str, int]:
    """A new current key for the event; with retire_old, every ticket is re-signed with it
    (new codes, new rotation secrets: the old ones stop working) and the old keys are no
    longer published. Returns (new kid, tickets re-signed)."""
    kid, public, sealed = new_key(settings, event_id)
    resigned = 0
    async with pool.acquire() as conn, conn.transaction():
        await repo.lock_event_keys(conn, event_id)
        await repo.insert_key(conn, event_id, kid, public, sealed)
        key = _remember(open_key(settings, event_id, kid, sealed))
        if retire_old:
            resigned = await resign_tickets(conn, key)
            await repo.retire_other_keys(conn, event_id, kid)
    _current[event_id] = (time.monotonic(), key)
    return kid, resigned


async def resign_tickets(conn: asyncpg.Connection, key: SigningKey) -> int:
    """Every ticket of the event not yet signed with `key` gets a new code signed with it
    (voided ones too: their old code must not verify with a published key either)."""
    rows = await repo.tickets_not_signed_with(conn, key.event_id, key.kid)
    if not rows:
        return 0
    await repo.set_ticket_codes(
        conn,
        [r["ticket_id"] for r in rows],
        [key.sign(str(r["ticket_id"]), r["section_code"], r["seq"], r["seat_id"]) for r in rows],
        key.kid,
    )
    return len(rows)


def raw_public(key: SigningKey) -> bytes:
    return _raw_public(key.public_key)
