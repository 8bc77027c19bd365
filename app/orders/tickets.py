"""Signed, offline-verifiable ticket codes (what the QR code carries).

Format: ``T1.<payload>.<signature>``, both base64url. The payload is the JSON
array ``[ticket_id, event_id, section, seq]``; the signature is the first 16
bytes of HMAC-SHA256 with a key derived from ONSALE_SECRET_KEY for this
purpose only. A scanner with the secret verifies a code without any network;
whether the ticket was voided (refund) is known only to the record.
"""

from __future__ import annotations

import binascii
import hmac

import msgspec

from app.core.security import b64url, b64url_decode, hmac_sign

_PURPOSE = "ticket-code:v1"
_SIG_BYTES = 16


class TicketClaim(msgspec.Struct, frozen=True, array_like=True):
    """What a valid ticket code proves."""

    ticket_id: str
    event_id: str
    section: str
    seq: int


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(TicketClaim)


def sign_ticket(secret: str, claim: TicketClaim) -> str:
    payload = _encoder.encode(claim)
    signature = hmac_sign(secret, _PURPOSE, payload)[:_SIG_BYTES]
    return f"T1.{b64url(payload)}.{b64url(signature)}"


def verify_ticket(secret: str, code: str) -> TicketClaim | None:
    """The claim of a genuine code, or None for anything forged or malformed."""
    parts = code.strip().split(".")
    if len(parts) != 3 or parts[0] != "T1":
        return None
    try:
        payload = b64url_decode(parts[1])
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        return None
    if len(signature) != _SIG_BYTES:
        return None
    if not hmac.compare_digest(hmac_sign(secret, _PURPOSE, payload)[:_SIG_BYTES], signature):
        return None
    try:
        return _decoder.decode(payload)
    except msgspec.DecodeError:
        return None
