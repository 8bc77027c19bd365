"""Signed, offline-verifiable ticket codes (what the QR code carries).

Format: ``T1.<payload>.<signature>`` (app.core.signed). The payload is the JSON
array ``[ticket_id, event_id, section, seq]``; the signature is the first 16
bytes of HMAC-SHA256 with a key derived from ONSALE_SECRET_KEY for this
purpose only. A scanner with the secret verifies a code without any network;
whether the ticket was voided (refund) is known only to the record.
"""

from __future__ import annotations

import msgspec

from app.core.signed import BadCode, SignedCodec


class TicketClaim(msgspec.Struct, frozen=True, array_like=True):
    """What a valid ticket code proves."""

    ticket_id: str
    event_id: str
    section: str
    seq: int


_CODEC = SignedCodec(TicketClaim, version="T1", purpose="ticket-code:v1", sig_bytes=16)


def sign_ticket(secret: str, claim: TicketClaim) -> str:
    return _CODEC.sign(secret, claim)


def verify_ticket(secret: str, code: str) -> TicketClaim | None:
    """The claim of a genuine code, or None for anything forged or malformed."""
    try:
        return _CODEC.verify(secret, code.strip())
    except BadCode:
        return None
