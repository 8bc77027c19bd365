"""The client's address: the peer, or X-Forwarded-For / Forwarded when the peer is a trusted
proxy; only ever a valid address (or none) from those headers."""

from __future__ import annotations

import ipaddress
from functools import cache, lru_cache
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


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> IPAddress | None:
    """One hop as an address: `1.2.3.4`, `2001:db8::1`, with a port (`1.2.3.4:80`,
    `[2001:db8::1]:80`) or quoted as in `Forwarded`; None for anything else."""
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped  # one client, one key, whichever way it is written
    return addr


def _trusted(addr: IPAddress, nets: tuple[IPNetwork, ...]) -> bool:
    return any(addr in net for net in nets)


def trusted_peer(peer: str | None, trusted: str) -> bool:
    """Whether the TCP peer is one of ONSALE_TRUSTED_PROXIES (whose headers count)."""
    addr = _address(peer) if peer else None
    return addr is not None and _trusted(addr, parse_trusted(trusted))


def _forwarded_for(header: str) -> list[str]:
    """The `for=` values of an RFC 7239 `Forwarded` header, first hop first."""
    hops = []
    for element in header.split(","):
        for pair in element.split(";"):
            key, sep, value = pair.partition("=")
            if sep and key.strip().lower() == "for":
                hops.append(value)
    return hops


# A pure function of its four strings, asked on every request of the hot paths
# (each hold counts a per-address limit) with the same few values per client:
# remembered, it is a dictionary lookup instead of parsing up to three addresses.
@lru_cache(maxsize=8192)
def resolve(
    peer: str | None, forwarded_for: str | None, trusted: str, forwarded: str | None = None
) -> str | None:
    """The client address, always a valid one in canonical form; None when there is none.

    Without a trusted proxy in front, the peer. Behind one, X-Forwarded-For (else the
    `for=` of `Forwarded`) is read right to left, skipping trusted proxies, so a client
    cannot choose its address by sending its own header through the proxy. A hop that
    is not an address (garbage, `unknown`, an obfuscated name, empty) ends the search
    with None: the request then counts against the per-account limits only, and no
    string other than an address reaches a rate-limit key or the audit log.
    """
    nets = parse_trusted(trusted)
    if not peer:
        return None
    peer_addr = _address(peer)
    if peer_addr is None:
        # The ASGI server's own word, not the client's: an address under uvicorn, a
        # name only with an in-process test client. Never a proxy of ours.
        return peer
    if not nets or not _trusted(peer_addr, nets):
        return str(peer_addr)
    if forwarded_for is not None and forwarded_for.strip():
        hops = forwarded_for.split(",")
    elif forwarded is not None and forwarded.strip():
        hops = _forwarded_for(forwarded)
    else:
        return None
    addrs = [_address(hop) for hop in hops]
    for addr in reversed(addrs):
        if addr is None:
            return None
        if not _trusted(addr, nets):
            return str(addr)
    # Every hop is a trusted proxy: the first one is the client.
    return str(addrs[0]) if addrs and addrs[0] is not None else None


def client_ip(request: Any) -> str | None:
    """The address rate limits and the audit log use for this request."""
    client = request.scope.get("client")
    peer = client[0] if client else None
    trusted: str = request.app.state.settings.trusted_proxies
    headers = request.headers
    return resolve(peer, headers.get("x-forwarded-for"), trusted, headers.get("forwarded"))


def audit_origin(request: Any) -> str | None:
    """Where an audited request came from: the client's address; or, when a trusted proxy sent
    it without naming any client (no X-Forwarded-For, no Forwarded: a request made on the
    proxy's own host, as everything is under `onsale dev`), that peer's address. A forwarding
    header that names no valid client still gives none: the peer is then not the origin."""
    found = client_ip(request)
    if found is not None:
        return found
    headers = request.headers
    if headers.get("x-forwarded-for") is not None or headers.get("forwarded") is not None:
        return None
    client = request.scope.get("client")
    peer = _address(client[0]) if client else None
    return str(peer) if peer is not None else None
