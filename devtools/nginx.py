"""nginx in front of API processes (tests, bench), run from deploy/nginx.conf, unprivileged.

The Debian package `nginx` is installed with apt-get when missing. The local
config is the production file with the lines marked "test:" rewritten: the
upstream servers, the listen port, the cache folder; plus a main context of
its own (pid, logs and temp folders in a temporary directory, no daemon). It
adds `X-Upstream` (which process answered) so the tests can see the spread.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from devtools import debian
from devtools.embedded import free_port, stop_process

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_CONF = ROOT / "deploy" / "nginx.conf"
ROOM_CONF = ROOT / "deploy" / "nginx-room.conf"


def nginx_binary() -> str:
    return debian.ensure("nginx", "nginx", "/usr/sbin/nginx")


def _servers(text: str, mark: str, upstreams: list[str]) -> str:
    """The `server` lines after `# test: <mark>` replaced by these upstreams."""
    servers = "".join(f"    server {u} max_fails=1 fail_timeout=2s;\n" for u in upstreams)
    return re.sub(rf"(# test: {mark}\n)(?:    server .*\n)+", lambda m: m.group(1) + servers, text)


def _listen(text: str, port: int) -> str:
    return re.sub(
        r"(# test: listen\n    listen )\S+;", lambda m: f"{m.group(1)}127.0.0.1:{port};", text
    )


def _main_context(folder: Path, text: str) -> str:
    return f"""
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{text}
}}
"""


def render_room(api: list[str], origin: list[str], port: int, folder: Path) -> str:
    """deploy/nginx-room.conf (the standalone room in front of any origin) for these Onsale
    API processes, this origin, this port and this folder."""
    text = _servers(ROOM_CONF.read_text(), "upstream servers", api)
    text = _listen(_servers(text, "origin", origin), port)
    return _main_context(folder, text)


def render(upstreams: list[str], port: int, folder: Path) -> str:
    """The production config for these upstreams, this port and this folder."""
    text = _servers(PRODUCTION_CONF.read_text(), "upstream servers", upstreams)
    text = re.sub(
        r"(# test: cache path\nproxy_cache_path )\S+",
        lambda m: m.group(1) + str(folder / "cache"),
        text,
    )
    text = _listen(text, port)
    text = text.replace(
        "    location / {\n",
        "    add_header X-Upstream $upstream_addr always;\n\n    location / {\n",
    )
    return _main_context(folder, text)


def _unprivileged() -> tuple[int | None, int | None]:
    """Popen's user and group: `nobody` when run as root, else unchanged."""
    if os.geteuid() != 0:
        return None, None
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


@dataclass(frozen=True)
class Nginx:
    base: str
    pid: int  # the master; its worker is its child


@contextlib.contextmanager
def nginx(upstreams: list[str]) -> Iterator[Nginx]:
    """nginx on a free port in front of `upstreams` (host:port)."""
    binary = nginx_binary()
    # Its own folder under /tmp: the unprivileged user must reach it (pytest's are 0700).
    with tempfile.TemporaryDirectory(prefix="onsale-nginx-") as name:
        folder = Path(name)
        folder.chmod(0o777)
        with _running(binary, lambda port: render(upstreams, port, folder), folder) as base:
            yield base


@contextlib.contextmanager
def room_nginx(api: list[str], origin: list[str]) -> Iterator[Nginx]:
    """nginx on a free port running deploy/nginx-room.conf: `origin` (host:port) behind the
    gate of the Onsale API processes `api`."""
    binary = nginx_binary()
    with tempfile.TemporaryDirectory(prefix="onsale-nginx-room-") as name:
        folder = Path(name)
        folder.chmod(0o777)
        with _running(binary, lambda port: render_room(api, origin, port, folder), folder) as up:
            yield up


@contextlib.contextmanager
def _running(binary: str, config: Callable[[int], str], folder: Path) -> Iterator[Nginx]:
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(config(port))
    args = [binary, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"]
    user, group = _unprivileged()
    check = subprocess.run([*args, "-t"], capture_output=True, text=True, user=user, group=group)
    if check.returncode != 0:
        raise RuntimeError(check.stderr)
    proc = subprocess.Popen(args, user=user, group=group)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(base + "/health/live", timeout=1)
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((folder / "error.log").read_text())
            time.sleep(0.05)
        yield Nginx(base, proc.pid)
    finally:
        stop_process(proc, grace_s=10)
