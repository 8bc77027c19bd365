"""Finding 13 of security round 2: no secret committed to this repository passes the
production check, and none with less than 128 bits of estimated entropy does either.

The scan reads every tracked file, so a secret committed tomorrow (in a test, a doc, a
compose file) fails this test until it is listed in app.core.secrets.KNOWN_DEFAULTS.
"""

from __future__ import annotations

import re
import secrets
import subprocess
from pathlib import Path

import pytest

from app.core.secrets import estimated_entropy_bits, weak_secrets
from app.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# A quoted token of 24+ characters (the shortest secret the check accepts) with a
# letter and a digit, or any token assigned to a SECRET/KEY/TOKEN/PASSWORD name (in
# code, compose files, shell lines and docs). Upper-case names (ONSALE_X=1) are not.
QUOTED = re.compile(r"""["'`]([A-Za-z0-9_\-+=]{24,256})["'`]""")
ASSIGNED = re.compile(
    r"""(?i)(?:secret|key|token|password)[a-z_]*["']?\s*[:=]\s*["']?"""
    r"""([A-Za-z0-9_\-+/=]{8,256})(?=["'`\s]|$)""",
    re.MULTILINE,
)
NAME = re.compile(r"^[A-Z][A-Z0-9_]*(=\S*)?$")


def strong() -> str:
    return secrets.token_hex(32)


SKIPPED_PARTS = {"__pycache__", "node_modules", "artifacts"}


def tracked_text_files() -> list[Path]:
    """The checkout's tracked files; outside a git checkout (the mutation run's copy of the
    tree, an unpacked release) every file but hidden, cached and generated ones."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode == 0 and (ROOT / ".git").exists():
        paths = [ROOT / name.decode() for name in listed.stdout.split(b"\0") if name]
    else:
        paths = [
            path
            for path in ROOT.rglob("*")
            if not any(
                part.startswith(".") or part in SKIPPED_PARTS or part.endswith(".egg-info")
                for part in path.relative_to(ROOT).parts
            )
        ]
    return [p for p in paths if p.is_file() and b"\0" not in p.read_bytes()[:4096]]


def committed_candidates() -> dict[str, str]:
    """Secret-looking literals in tracked files, each with the first file it appears in."""
    found: dict[str, str] = {}
    for path in tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        values = [m.group(1) for m in QUOTED.finditer(text)]
        values = [v for v in values if re.search(r"\d", v) and re.search(r"[A-Za-z]", v)]
        values += [m.group(1) for m in ASSIGNED.finditer(text)]
        values = [v for v in values if not NAME.match(v)]
        for value in values:
            found.setdefault(value, str(path.relative_to(ROOT)))
    return found


def refused_as(name: str, value: str) -> bool:
    fields = {
        "ONSALE_SECRET_KEY": "secret_key",
        "ONSALE_STRIPE_WEBHOOK_SECRET": "stripe_webhook_secret",
        "ONSALE_TOTP_KEY": "totp_key",
    }
    base = {"secret_key": strong(), "stripe_webhook_secret": "whsec_" + strong()}
    settings = Settings(env="production", **{**base, fields[name]: value})
    return any(p.startswith(name + " ") for p in weak_secrets(settings))


def test_the_scan_finds_the_secrets_of_the_suite() -> None:
    """The scan itself must see what it guards against (else it passes by finding nothing)."""
    found = committed_candidates()
    assert "unit-test-secret-0123456789abcdef0123456789abcdef" in found
    assert "test-secret-key-for-the-onsale-suite-0123456789abcdef" in found


def test_no_committed_secret_passes_the_production_check() -> None:
    passing = [
        f"{value!r} ({where}) as {name}"
        for value, where in committed_candidates().items()
        for name in ("ONSALE_SECRET_KEY", "ONSALE_STRIPE_WEBHOOK_SECRET", "ONSALE_TOTP_KEY")
        if not refused_as(name, value)
    ]
    assert not passing, (
        "committed values that production would accept as a secret; list them in "
        "app.core.secrets.KNOWN_DEFAULTS:\n" + "\n".join(passing)
    )


@pytest.mark.parametrize(
    ("value", "bits"),
    [
        ("1234567890" * 4, 132.88),  # 40 digits
        ("0123456789abcdef" * 2, 128),  # 32 hex characters
        ("whsec_" + "0123456789abcdef" * 2, 128),  # Stripe's prefix is public
        ("aB3" * 12, 36 * 5.95),  # letters and digits
        ("79f2f11e-38da-44eb-8242-41d2686cc815", 122),  # a UUID: its random bits
    ],
    ids=["40 digits", "32 hex", "whsec prefix", "alphanumeric", "uuid"],
)
def test_the_entropy_estimate(value: str, bits: float) -> None:
    assert estimated_entropy_bits(value) == pytest.approx(bits, rel=0.01)


@pytest.mark.parametrize(
    "value",
    [
        "31415926535897932384626433832795",  # 32 digits: 106 bits
        "0123456789abcdef01234567",  # 24 hex characters as the webhook secret: 96 bits
        "whsec_0123456789abcdef0123456",  # 23 hex characters after the prefix: 92 bits
    ],
    ids=["32 digits", "24 hex", "whsec 23 hex"],
)
def test_secrets_under_128_bits_are_refused(value: str) -> None:
    assert refused_as("ONSALE_STRIPE_WEBHOOK_SECRET", value)
    assert refused_as("ONSALE_SECRET_KEY", value) or len(value) < 32


def test_random_secrets_of_the_documented_sizes_pass() -> None:
    for _ in range(200):
        assert not refused_as("ONSALE_SECRET_KEY", secrets.token_hex(32))  # openssl rand -hex 32
        assert not refused_as("ONSALE_SECRET_KEY", secrets.token_urlsafe(32))
        assert not refused_as("ONSALE_STRIPE_WEBHOOK_SECRET", "whsec_" + secrets.token_hex(16))
