"""Refuses to run a production process with a missing, short or well-known secret."""

from __future__ import annotations

from app.core.settings import DEV_SECRET_KEY, DEV_WEBHOOK_SECRET, Settings

# Secrets that appear in this repository (source, compose file, docs, tests):
# anyone can read them, so a production process must never sign with them.
KNOWN_DEFAULTS = frozenset(
    {
        DEV_SECRET_KEY,
        DEV_WEBHOOK_SECRET,
        "compose-dev-secret-change-me-0123456789abcdef",
        "test-secret-key-for-the-onsale-suite-0123456789abcdef",
        "whsec_test_onsale_suite",
        "change-me",
        "changeme",
        "secret",
    }
)
# HS256 keys: at least 256 bits of text. Stripe's own webhook secrets are
# "whsec_" plus 32 characters; anything much shorter is not one of them.
MIN_SECRET_KEY_LENGTH = 32
MIN_WEBHOOK_SECRET_LENGTH = 24


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
        if not value:
            problems.append(f"{name} is not set")
        elif value in KNOWN_DEFAULTS:
            problems.append(f"{name} is a default published with Onsale; set a random one")
        elif len(value) < min_length:
            problems.append(f"{name} is shorter than {min_length} characters")
        elif len(set(value)) < 8:
            problems.append(f"{name} has too few distinct characters to be random")
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
