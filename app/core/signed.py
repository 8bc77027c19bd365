"""Signed, compact codes of a msgspec Struct: ``<version>.<payload>.<signature>`` (base64url).

The payload is the Struct's msgspec JSON (array-like Structs keep it short);
the signature is HMAC-SHA256 with a key derived from the secret for one
purpose only, so a code of one kind never verifies as another. Admission
tokens are made here (ticket codes are Ed25519-signed: app/tickets/codes.py).
"""

from __future__ import annotations

import binascii
import hmac
from typing import Generic, Literal, TypeVar

import msgspec

from app.core.security import b64url, b64url_decode, hmac_sign

S = TypeVar("S", bound=msgspec.Struct)


class BadCode(Exception):
    """A code that is not genuine: `reason` is "malformed" or "signature"."""

    def __init__(self, reason: Literal["malformed", "signature"]) -> None:
        super().__init__(reason)
        self.reason = reason


class SignedCodec(Generic[S]):
    """Signs and verifies codes carrying one Struct type."""

    def __init__(self, kind: type[S], *, version: str, purpose: str, sig_bytes: int = 32) -> None:
        self.version = version
        self.purpose = purpose
        self.sig_bytes = sig_bytes
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder(kind)

    def _signature(self, secret: str, payload: bytes) -> bytes:
        return hmac_sign(secret, self.purpose, payload)[: self.sig_bytes]

    def sign(self, secret: str, claim: S) -> str:
        payload = self._encoder.encode(claim)
        return f"{self.version}.{b64url(payload)}.{b64url(self._signature(secret, payload))}"

    def verify(self, secret: str, code: str) -> S:
        """The claim of a genuine code; BadCode otherwise."""
        parts = code.split(".")
        if len(parts) != 3 or parts[0] != self.version:
            raise BadCode("malformed")
        try:
            payload = b64url_decode(parts[1])
            signature = b64url_decode(parts[2])
        except (ValueError, binascii.Error):
            raise BadCode("malformed") from None
        # One string per code: base64 decoding forgives padding bits, '+'/'/' and stray
        # characters, so a code that does not re-encode to itself is refused; a door check
        # that keys on the string would otherwise let two spellings of one ticket in.
        if b64url(payload) != parts[1] or b64url(signature) != parts[2]:
            raise BadCode("malformed")
        if not hmac.compare_digest(self._signature(secret, payload), signature):
            raise BadCode("signature")
        try:
            return self._decoder.decode(payload)
        except msgspec.DecodeError:
            raise BadCode("malformed") from None
