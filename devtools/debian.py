"""Debian packages that the dev tools and the suite need, installed with apt-get when missing.

One function for every caller (Chromium, nginx, Prometheus, wrk), under a file lock: the
suite's parallel workers may ask for the same package at once, and dpkg allows one install
at a time (a second apt-get fails at once on dpkg's lock instead of waiting).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

LOCK = Path(os.environ.get("ONSALE_APT_LOCK", "/tmp/onsale-apt.lock"))


def which(binary: str, *also: str) -> str | None:
    """The binary on PATH, or the first of `also` (absolute paths) that exists."""
    return shutil.which(binary) or next((p for p in also if Path(p).exists()), None)


def ensure(binary: str, package: str, *also: str) -> str:
    """The path of `binary`; installs Debian's `package` first when it is missing."""
    found = which(binary, *also)
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            # Another process may have installed it while this one waited for the lock.
            found = which(binary, *also)
            if found:
                return found
            subprocess.run([*sudo, "apt-get", "update", "-qq"], check=False, env=env, timeout=600)
            subprocess.run(
                [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
                check=True,
                env=env,
                timeout=900,
            )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    found = which(binary, *also)
    if not found:
        raise RuntimeError(f"apt-get installed {package} but no `{binary}` was found")
    return found


# What the suite and the dev tools may ask for: (binary, package, other places it lands).
SUITE_PACKAGES: list[tuple[str, str, tuple[str, ...]]] = [
    ("chromium", "chromium", ("/usr/bin/chromium",)),
    ("nginx", "nginx", ("/usr/sbin/nginx",)),
    ("prometheus", "prometheus", ()),
    ("wrk", "wrk", ()),
    # The event stream's broker (tests/conftest.py, `onsale dev`).
    ("rabbitmq-server", "rabbitmq-server", ("/usr/lib/rabbitmq/bin/rabbitmq-server",)),
    # The receipt PDF's font (app/money/receipt.py; without it, Latin-1 only).
    ("DejaVuSans.ttf", "fonts-dejavu-core", ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)),
]
RABBITMQ_ALSO = ("/usr/lib/rabbitmq/bin/rabbitmq-server",)


def main() -> None:
    """Install every package the suite uses that is missing (one apt-get run for them all)."""
    missing = [(b, p, also) for b, p, also in SUITE_PACKAGES if not which(b, *also)]
    if not missing:
        print("Debian packages: all present")
        return
    print("Debian packages: installing " + ", ".join(p for _, p, _ in missing), flush=True)
    for binary, package, also in missing:
        ensure(binary, package, *also)


if __name__ == "__main__":
    main()
