"""The signed join receipt a fan's client keeps: its place, against the public RoomSnapshot.

A receipt is `<version>.<payload>.<signature>` (app.core.signed); the payload
is base64url of the JSON array `[event_id, position, admitted_through,
issued_at_ms]`, readable by the client without the key. With a later
snapshot, a client bounds the people still ahead of it without a per-fan call:

    ahead <= max(0, position - 1 - (snapshot.admitted_through - receipt.admitted_through))

The bound errs on the far side: fans ahead who left or were skipped as
no-shows also moved the line, and `admitted_through` is read with the place
(in the same status script), so a tick in between is not subtracted twice. The server can verify a
receipt it issued (e.g. a fan's claim to support); admission still takes
the per-fan status call, which alone issues the admission token.
"""

from __future__ import annotations

import msgspec

from app.core.clock import now_ms
from app.core.signed import SignedCodec


class Receipt(msgspec.Struct, array_like=True, frozen=True):
    event_id: str
    position: int
    admitted_through: int
    issued_at_ms: int


CODEC = SignedCodec(Receipt, version="r1", purpose="onsale:queue-receipt", sig_bytes=16)


def ahead_bound(receipt: Receipt, admitted_through: int) -> int:
    """The most people still ahead, given a snapshot's `admitted_through` (what clients do)."""
    return max(0, receipt.position - 1 - (admitted_through - receipt.admitted_through))


def issue(secret: str, event_id: str, position: int, admitted_through: int) -> str:
    """A receipt for a fan at `position` now; `admitted_through` is read with the place,
    by the same status script (see the module doc), so a receipt costs no round trip."""
    return CODEC.sign(secret, Receipt(event_id, position, admitted_through, now_ms()))


def verify(secret: str, code: str) -> Receipt:
    """The claim of a receipt this deployment issued; app.core.signed.BadCode otherwise."""
    return CODEC.verify(secret, code)
