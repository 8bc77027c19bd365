"""Secrets at rest: AES-256-GCM under a key derived from a secret for one purpose only.

`signed.py` proves a code is genuine; this hides what is stored as well. The
key is HKDF-SHA256 of the secret with the purpose as its label, so a value
sealed for one purpose never opens as another and the secret itself never
keys AES. The caller names a context (the owner of the value, say); it is
authenticated with the ciphertext, so a sealed value copied to another owner
does not open. Layout: one version byte, a random 96-bit nonce, then the
ciphertext with its 16-byte tag.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x01"
NONCE_BYTES = 12
TAG_BYTES = 16


class BadSeal(Exception):
    """A sealed value that does not open: another key, another context, or altered."""


class Sealer:
    """Seals and opens byte strings for one purpose under one secret."""

    def __init__(self, secret: str, purpose: str) -> None:
        if not secret:
            # An empty secret would seal under a key anyone can derive.
            raise ValueError("a sealing secret is required")
        key = HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose.encode()).derive(
            secret.encode()
        )
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        # Random nonces are safe here: far fewer than 2^32 values are sealed per key.
        nonce = os.urandom(NONCE_BYTES)
        return VERSION + nonce + self._aead.encrypt(nonce, plaintext, VERSION + context)

    def open(self, sealed: bytes, context: bytes) -> bytes:
        """The plaintext of a value sealed with this key and context; BadSeal otherwise."""
        if len(sealed) < 1 + NONCE_BYTES + TAG_BYTES or sealed[:1] != VERSION:
            raise BadSeal("malformed")
        nonce = sealed[1 : 1 + NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, sealed[1 + NONCE_BYTES :], VERSION + context)
        except InvalidTag:
            raise BadSeal("does not open") from None
