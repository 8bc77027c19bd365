"""TOTP codes (RFC 6238), enrolment QR codes and recovery codes: pure functions, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable

import pyotp
import segno

ISSUER = "Onsale"
STEP_S = 30
# One step either side absorbs clock drift between the phone and the server.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes
_TOTP_CODE = re.compile(r"^\d{6}$")

# The clock TOTP steps are read from (seconds since the epoch). In-process tests put a
# clock here that they move to the next step, instead of waiting up to 30 s for it.
clock: Callable[[], float] = time.time


def new_secret() -> str:
    """A 160-bit base32 secret, the size RFC 4226 recommends."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data: URI (no request to any other host)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def current_step(now: float | None = None) -> int:
    return int((clock() if now is None else now) // STEP_S)


def normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def is_totp_code(code: str) -> bool:
    return bool(_TOTP_CODE.match(normalize_code(code)))


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code equals `code` (within the drift window), else None."""
    code = normalize_code(code)
    if not _TOTP_CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    step = current_step(now)
    found: int | None = None
    # Check every candidate (no early exit) so timing does not say which step matched.
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(candidate * STEP_S), code):
            found = candidate
    return found


def new_recovery_codes() -> list[str]:
    """Ten codes like `k7mq-x2ha-9rtd-pw4e` (80 bits each)."""
    return [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4)) for _ in range(4))
        for _ in range(RECOVERY_CODES)
    ]


def hash_recovery_code(code: str) -> str:
    # 80 random bits need no slow hash: brute force of the digest is out of reach.
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()
