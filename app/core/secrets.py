"""Refuses to run a production process with a missing, short or well-known secret."""

from __future__ import annotations

import math
import re
import string

from app.core.settings import DEV_SECRET_KEY, DEV_WEBHOOK_SECRET, Settings

# Secrets that appear in this repository (source, compose file, docs, tests):
# anyone can read them, so a production process must never sign with them.
# tests/unit/test_committed_secrets.py scans every tracked file for secret-looking
# literals and fails until each one that would otherwise pass is listed here.
KNOWN_DEFAULTS = frozenset(
    {
        DEV_SECRET_KEY,
        DEV_WEBHOOK_SECRET,
        "compose-dev-secret-change-me-0123456789abcdef",
        "test-secret-key-for-the-onsale-suite-0123456789abcdef",
        "whsec_test_onsale_suite",
        "unit-test-secret-0123456789abcdef0123456789abcdef",
        "unit-test-secret-0123456789abcdef0123456789",
        "another-secret-0123456789abcdef0123456789abcdef",
        "another-secret-key-000000000000000000",
        "another-secret-key-of-some-attacker-0123456789",
        "provider-secret-for-the-notification-tests",
        # A figure's name in a committed bench report (docs/bench): no secret, but it
        # passes the entropy estimate, so production refuses it like any committed value.
        "finalize_store_orders_per_s_2p",
        "a-secret-someone-left-in-the-dev-state-file",
        "change-me",
        "changeme",
        "secret",
        # Not secrets, but committed literals that would pass as one (names and alphabets).
        "abcdefghjkmnpqrstuvwxyz23456789",
        "sha256-leading-zero-bits",
        "redis_cpu_ms_per_1000_holds",
        "replica_cpu_ms_per_1000_holds",
        "cluster-20261129T115618Z",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    }
)
# HS256 keys: at least 256 bits of text. Stripe's own webhook secrets are
# "whsec_" plus 32 characters; anything much shorter is not one of them.
MIN_SECRET_KEY_LENGTH = 32
MIN_WEBHOOK_SECRET_LENGTH = 24
MIN_ENTROPY_BITS = 128
# Public prefixes that carry no secret (Stripe's "whsec_"): not counted as entropy.
PUBLIC_PREFIXES = ("whsec_",)
# The alphabets random secrets are drawn from, smallest first (see estimated_entropy_bits).
ALPHABETS = (
    string.digits,
    "0123456789abcdef",
    "0123456789ABCDEF",
    string.ascii_lowercase + string.digits,
    string.ascii_uppercase + string.digits,
    string.ascii_letters + string.digits,
    string.ascii_letters + string.digits + "-_",  # base64url (token_urlsafe)
    string.ascii_letters + string.digits + "+/=",  # base64
    "".join(chr(c) for c in range(0x20, 0x7F)),  # printable ASCII
)
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
UUID_RANDOM_BITS = 122  # a version-4 UUID; any other version has fewer


def estimated_entropy_bits(value: str) -> float:
    """Estimator: length x log2(size of the smallest alphabet in ALPHABETS holding every
    character), after dropping a public prefix; anything outside printable ASCII counts as
    printable ASCII (95). It is exact for a uniformly random string of that alphabet
    (`openssl rand -hex 32`: 256 bits) and an upper bound for anything else, so it refuses
    what is short for its alphabet (32 digits: 106 bits); words and patterns are caught by
    the distinct-character rule and the list of published values, not by this. A UUID
    counts as its at most 122 random bits.
    """
    if UUID.match(value):
        return UUID_RANDOM_BITS
    for prefix in PUBLIC_PREFIXES:
        value = value.removeprefix(prefix)
    chars = set(value)
    size = next((len(a) for a in ALPHABETS if chars <= set(a)), len(ALPHABETS[-1]))
    return len(value) * math.log2(size)


def secret_problem(value: str, min_length: int) -> str | None:
    """Why `value` must not be a production secret (after its name), or None if it may."""
    if not value:
        return "is not set"
    if value in KNOWN_DEFAULTS:
        return "is a default published with Onsale; set a random one"
    if len(value) < min_length:
        return f"is shorter than {min_length} characters"
    if len(set(value)) < 8:
        return "has too few distinct characters to be random"
    if estimated_entropy_bits(value) < MIN_ENTROPY_BITS:
        return f"has less than {MIN_ENTROPY_BITS} bits of estimated entropy"
    return None


class WeakSecretError(RuntimeError):
    """A production process was configured with a secret it must not use."""


def weak_secrets(settings: Settings) -> list[str]:
    """One line per problem, naming the variable; empty when the secrets are fine."""
    problems: list[str] = []
    checks = [
        ("ONSALE_SECRET_KEY", settings.secret_key, MIN_SECRET_KEY_LENGTH),
        ("ONSALE_STRIPE_WEBHOOK_SECRET", settings.stripe_webhook_secret, MIN_WEBHOOK_SECRET_LENGTH),
    ]
    if settings.totp_key:  # optional: unset, TOTP secrets are sealed under ONSALE_SECRET_KEY's
        checks.append(("ONSALE_TOTP_KEY", settings.totp_key, MIN_SECRET_KEY_LENGTH))
    for name, value, min_length in checks:
        problem = secret_problem(value, min_length)
        if problem is not None:
            problems.append(f"{name} {problem}")
    if settings.env not in ("production", "dev"):
        problems.append(f"ONSALE_ENV must be 'production' or 'dev', not {settings.env!r}")
    return problems


def require_strong_secrets(settings: Settings) -> None:
    """Raise WeakSecretError under ONSALE_ENV=production when a secret is weak."""
    if settings.env == "dev":
        return
    problems = weak_secrets(settings)
    if problems:
        raise WeakSecretError(
            "refusing to start in production: "
            + "; ".join(problems)
            + " (generate one with `openssl rand -hex 32`; ONSALE_ENV=dev allows the"
            " built-in development secrets)"
        )
