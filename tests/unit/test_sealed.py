"""Secrets sealed at rest (app.core.sealed): only the same key, purpose and context open them."""

from __future__ import annotations

import secrets

import msgspec
import pytest

from app.core.sealed import BadSeal, Sealer
from app.core.secrets import weak_secrets
from app.core.settings import DEV_SECRET_KEY, Settings

SECRET = "unit-test-secret-0123456789abcdef0123456789abcdef"
CONTEXT = b"\x01" * 16


def test_a_sealed_value_opens_with_its_key_purpose_and_context() -> None:
    box = Sealer(SECRET, "purpose-a")
    sealed = box.seal(b"JBSWY3DPEHPK3PXP", CONTEXT)
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert box.open(sealed, CONTEXT) == b"JBSWY3DPEHPK3PXP"
    # A fresh nonce each time: the same secret never looks the same twice.
    assert box.seal(b"JBSWY3DPEHPK3PXP", CONTEXT) != sealed


@pytest.mark.parametrize(
    ("secret", "purpose", "context"),
    [
        (SECRET, "purpose-a", b"\x02" * 16),  # another owner
        (SECRET, "purpose-b", CONTEXT),  # another purpose
        ("another-secret-0123456789abcdef0123456789abcdef", "purpose-a", CONTEXT),
    ],
)
def test_anything_else_does_not_open_it(secret: str, purpose: str, context: bytes) -> None:
    sealed = Sealer(SECRET, "purpose-a").seal(b"JBSWY3DPEHPK3PXP", CONTEXT)
    with pytest.raises(BadSeal):
        Sealer(secret, purpose).open(sealed, context)


def test_altered_or_malformed_values_do_not_open() -> None:
    box = Sealer(SECRET, "purpose-a")
    sealed = box.seal(b"JBSWY3DPEHPK3PXP", CONTEXT)
    for i in range(len(sealed)):
        altered = sealed[:i] + bytes([sealed[i] ^ 0x01]) + sealed[i + 1 :]
        with pytest.raises(BadSeal):
            box.open(altered, CONTEXT)
    for bad in (b"", sealed[:20], sealed[:-1]):
        with pytest.raises(BadSeal):
            box.open(bad, CONTEXT)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="required"):
        Sealer("", "purpose-a")


def test_a_weak_totp_key_is_refused_in_production_and_unset_is_fine() -> None:
    strong = Settings(
        env="production",
        secret_key=secrets.token_hex(32),
        stripe_webhook_secret="whsec_" + secrets.token_hex(16),
    )
    assert weak_secrets(strong) == []
    short = msgspec.structs.replace(strong, totp_key="short")
    assert weak_secrets(short) == ["ONSALE_TOTP_KEY is shorter than 32 characters"]
    published = msgspec.structs.replace(strong, totp_key=DEV_SECRET_KEY)
    assert weak_secrets(published) == [
        "ONSALE_TOTP_KEY is a default published with Onsale; set a random one"
    ]
