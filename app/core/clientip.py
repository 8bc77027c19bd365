"""The client's address: the peer, or X-Forwarded-For when the peer is a trusted proxy."""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def parse_trusted(text: str) -> tuple[IPNetwork, ...]:
    """ONSALE_TRUSTED_PROXIES: comma-separated addresses or CIDRs."""
    nets: list[IPNetwork] = []
    for part in text.split(","):
        part = part.strip()
        if part:
            nets.append(ipaddress.ip_network(part, strict=False))
    return tuple(nets)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(text: str, nets: tuple[IPNetwork, ...]) -> bool:
    addr = _address(text)
    return addr is not None and any(addr in net for net in nets)


def resolve(peer: str | None, forwarded_for: str | None, trusted: str) -> str | None:
    """The client address; None when a trusted proxy sent the request without naming one.

    X-Forwarded-For is read right to left, skipping trusted proxies, so a client
    cannot choose its address by sending its own header through the proxy.
    """
    nets = parse_trusted(trusted)
    if peer is None:
        return None
    if not nets or not _trusted(peer, nets):
        return peer
    if not forwarded_for:
        return None
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, nets):
            addr = _address(hop)
            return str(addr) if addr is not None else hop[:64]
    return hops[0] if hops else None


def client_ip(request: Any) -> str | None:
    """The address rate limits and the audit log use for this request."""
    client = request.scope.get("client")
    peer = client[0] if client else None
    trusted: str = request.app.state.settings.trusted_proxies
    return resolve(peer, request.headers.get("x-forwarded-for"), trusted)
