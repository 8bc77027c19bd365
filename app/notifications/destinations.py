"""Integrator webhook URLs may only reach public addresses (no SSRF into the private
network: Redis, Postgres, cloud metadata), unless ONSALE_WEBHOOK_ALLOW_PRIVATE is set
(`onsale dev` and the tests, whose receivers listen on 127.0.0.1).

Checked when a webhook is configured and again before every POST (a name may resolve
elsewhere later). A name that re-resolves between the check and the connect is not
covered; a deployment that needs that runs the workers behind an egress proxy.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

RESOLVE_TIMEOUT_S = 5.0


class PrivateDestination(Exception):
    """The URL's host is (or resolves to) a non-public address."""


async def addresses(url: str) -> list[str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        # UnicodeError: a label IDNA cannot encode (longer than 63 characters, say);
        # ValueError: a port out of range. Neither names a destination: refused, not a 500.
        raise PrivateDestination(f"{host[:80]!r} does not resolve") from exc
    return sorted({str(info[4][0]) for info in infos})


async def check_public(url: str) -> None:
    """Raise PrivateDestination unless every address of the URL's host is global."""
    for address in await addresses(url):
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global:
            raise PrivateDestination(f"{urlsplit(url).hostname} resolves to {address}")
