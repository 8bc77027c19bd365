"""Ticket codes at the door: T2 codes signed with Ed25519, and their rotating TOTP suffix.

Signed (static) code: ``T2.<payload>.<sig>``; the payload is base64url (no
padding) of the compact JSON array ``[kid, ticket_id, event_id, section, seq]``, or
``[kid, ticket_id, event_id, section, seq, seat_id]`` for a ticket with a reserved seat
(codes signed before seats keep verifying: the seat is a trailing member that a
ticket without one leaves out),
the signature Ed25519 over the ASCII bytes ``T2.<payload>``. A verifier needs
only the event's public key: whatever sits at the door cannot mint a ticket.

Rotating code (what the fan app shows): ``<signed code>.<6 digits>``, the digits
a TOTP (RFC 6238, HMAC-SHA1, 15 s step, T0 = 0) over the ticket's rotation
secret. The secret is derived from the event key's seed and the signed code,
so it changes with every re-signed code; the server hands it to the holder
and to the event's scanners only.

One canonical spelling per code: anything a decoder would forgive (padding,
``+``/``/``, stray bits in the last character, inner whitespace, case changes)
is refused, so a door check that keys on the string cannot be fooled by two
spellings of one ticket. Pure functions, no I/O: the API, the CLI, the
benchmark and the tests share them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import struct
from typing import Literal

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VERSION = "T2"
STEP_S = 15
DIGITS = 6
# Steps accepted either side of the scanner's current one: a shown code lives 15-45 s.
WINDOW_STEPS = 1
SIGNATURE_CHARS = 86  # 64 bytes in unpadded base64url
ROTATION_SECRET_BYTES = 20
_ROTATION_INFO = b"onsale:ticket-rotation:v1"

_B64 = r"[A-Za-z0-9_-]"
_CODE = re.compile(
    rf"^{VERSION}\.(?P<payload>{_B64}{{8,600}})\.(?P<sig>{_B64}{{{SIGNATURE_CHARS}}})"
    rf"(?:\.(?P<totp>[0-9]{{{DIGITS}}}))?$"
)

Problem = Literal["malformed", "signature", "unknown_key"]


class TicketClaim(msgspec.Struct, frozen=True, array_like=True):
    """What a genuine code proves: the ticket, its event and place, and the signing key."""

    kid: str
    ticket_id: str
    event_id: str
    section: str
    seq: int
    seat: str = ""  # the reserved seat's id; left out of the array when there is none


class BadCode(Exception):
    """Not a genuine code: `reason` says why (malformed, bad signature, unknown key)."""

    def __init__(self, reason: Problem) -> None:
        super().__init__(reason)
        self.reason: Problem = reason


class Parsed(msgspec.Struct, frozen=True):
    """A code split up, its signature not yet checked."""

    claim: TicketClaim
    signed: str  # T2.<payload>.<sig>: the static code
    message: bytes  # what the signature covers: T2.<payload>
    signature: bytes
    totp: str | None  # the rotating suffix, when the code carries one


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(TicketClaim)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # Only the one spelling that encodes back to itself (no stray bits in the last char).
    if b64url(data) != text:
        raise ValueError("not canonical base64url")
    return data


def encode_claim(claim: TicketClaim) -> bytes:
    """The claim's one compact JSON array: five members, a sixth only for a seat."""
    if claim.seat:
        return _encoder.encode(claim)
    return _encoder.encode((claim.kid, claim.ticket_id, claim.event_id, claim.section, claim.seq))


def sign_code(private_key: Ed25519PrivateKey, claim: TicketClaim) -> str:
    """The static signed code of a claim (deterministic: Ed25519 signs without randomness)."""
    message = f"{VERSION}.{b64url(encode_claim(claim))}"
    return f"{message}.{b64url(private_key.sign(message.encode('ascii')))}"


def parse(code: str) -> Parsed:
    """The parts of a code in canonical form (surrounding whitespace forgiven); BadCode
    ("malformed") otherwise. The signature is not checked here."""
    match = _CODE.match(code.strip())
    if match is None:
        raise BadCode("malformed")
    payload_text, sig_text = match.group("payload"), match.group("sig")
    try:
        payload = _b64url_decode(payload_text)
        signature = _b64url_decode(sig_text)
        claim = _decoder.decode(payload)
    except (ValueError, binascii.Error, msgspec.DecodeError):
        raise BadCode("malformed") from None
    # The JSON itself in its one compact form (what the server signs).
    if encode_claim(claim) != payload:
        raise BadCode("malformed")
    message = f"{VERSION}.{payload_text}"
    return Parsed(
        claim=claim,
        signed=f"{message}.{sig_text}",
        message=message.encode("ascii"),
        signature=signature,
        totp=match.group("totp"),
    )


def check_signature(public_key: Ed25519PublicKey, parsed: Parsed) -> None:
    """BadCode("signature") unless the event's key signed this code."""
    try:
        public_key.verify(parsed.signature, parsed.message)
    except InvalidSignature:
        raise BadCode("signature") from None


def verify(code: str, public_keys: dict[str, Ed25519PublicKey]) -> Parsed:
    """A genuine code's parts, checked with the public key its kid names; BadCode otherwise."""
    parsed = parse(code)
    key = public_keys.get(parsed.claim.kid)
    if key is None:
        raise BadCode("unknown_key")
    check_signature(key, parsed)
    return parsed


# --- The rotating part --------------------------------------------------------------------


def rotation_key(seed: bytes) -> bytes:
    """The key that rotation secrets of one signing key are derived from (HKDF of the seed,
    a label of its own: never the signing key itself)."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=_ROTATION_INFO).derive(seed)


def rotation_secret(rotation_key_bytes: bytes, signed_code: str) -> bytes:
    """The ticket's 20-byte TOTP secret: bound to its exact signed code, so a re-signed or
    moved ticket's old secret says nothing about the new one."""
    digest = hmac.digest(rotation_key_bytes, signed_code.encode("ascii"), "sha256")
    return digest[:ROTATION_SECRET_BYTES]


def secret_b32(secret: bytes) -> str:
    """The secret as sent to the app and the scanner: base32, no padding (20 bytes: 32 chars)."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def secret_from_b32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def step_at(unix_s: float) -> int:
    return int(unix_s // STEP_S)


def totp_at_step(secret: bytes, step: int) -> str:
    """RFC 6238 / RFC 4226 HOTP of the step: HMAC-SHA1, dynamic truncation, 6 digits."""
    mac = hmac.digest(secret, struct.pack(">Q", step), "sha1")
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def totp_fresh(secret: bytes, digits: str, unix_s: float) -> bool:
    """Whether the digits are the TOTP of the step at unix_s or one step either side."""
    step = step_at(unix_s)
    ok = False
    # Every candidate is compared (no early exit): timing does not say which step matched.
    for candidate in range(step - WINDOW_STEPS, step + WINDOW_STEPS + 1):
        ok |= hmac.compare_digest(totp_at_step(secret, candidate), digits)
    return ok


def rotating_code(signed_code: str, secret: bytes, unix_s: float) -> str:
    """What the fan app shows at unix_s."""
    return f"{signed_code}.{totp_at_step(secret, step_at(unix_s))}"


# --- Keys ----------------------------------------------------------------------------------


def key_id(public_key: bytes) -> str:
    """A short, stable name of a public key: 8 base64url characters of its SHA-256."""
    return b64url(hashlib.sha256(public_key).digest()[:6])


def public_key_from(raw_b64url: str) -> Ed25519PublicKey:
    """A published public key (raw 32 bytes, base64url) as a verifier object."""
    raw = _b64url_decode(raw_b64url)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def parse_public_keys(text: str) -> dict[str, Ed25519PublicKey]:
    """kid -> public key, from a scanner-key answer (JSON) or base64url keys one a line. The
    kid is each key's own fingerprint, so a file cannot pass one key off as another."""
    stripped = text.strip()
    raw: list[str]
    if stripped.startswith("{"):
        try:
            raw = [str(k["public_key"]) for k in json.loads(stripped)["keys"]]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"not a scanner-key answer: {exc}") from None
    else:
        raw = [line.strip() for line in stripped.splitlines() if line.strip()]
    out: dict[str, Ed25519PublicKey] = {}
    for value in raw:
        key = public_key_from(value)
        out[key_id(public_key_raw(key))] = key
    return out
