"""Security headers on every answer, HTML and API alike (a Litestar before-send hook).

Every answer: X-Frame-Options DENY, X-Content-Type-Options nosniff, Referrer-Policy
no-referrer, and a Content-Security-Policy chosen by what is answered: the apps' strict
policy for their HTML pages, the docs page's own (Swagger UI renders inline), and
`default-src 'none'` for everything else (JSON, event streams, assets), which nothing
renders as a document. Both policies forbid framing (`frame-ancestors 'none'`). HSTS is
added only over TLS: the request's own scheme, or X-Forwarded-Proto from a trusted proxy.
A header the route already set is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.clientip import parse_trusted, trusted_peer

# Nothing in a JSON body, an event stream or a script file is a document to render.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=31536000; includeSubDomains"
ALWAYS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
_API_CSP_HEADER = (b"content-security-policy", API_CSP.encode())
_HSTS_HEADER = (b"strict-transport-security", HSTS.encode())


@dataclass(frozen=True)
class SecurityHeaders:
    """The before-send hook; `app_csp` and `docs_csp` come from the web bundle."""

    app_csp: str
    docs_csp: str
    trusted_proxies: str = ""
    docs_prefix: str = "/schema"

    def __post_init__(self) -> None:
        parse_trusted(self.trusted_proxies)  # a bad list fails at start, not per answer

    def _over_tls(self, scope: Any) -> bool:
        if scope.get("scheme") in ("https", "wss"):
            return True
        if not self.trusted_proxies:
            return False  # X-Forwarded-Proto counts only from a trusted proxy
        proto = b""
        for name, value in scope.get("headers") or ():
            if bytes(name).lower() == b"x-forwarded-proto":
                proto = bytes(value)
        client = scope.get("client")
        peer = client[0] if client else None
        return proto.split(b",")[-1].strip().lower() == b"https" and trusted_peer(
            peer, self.trusted_proxies
        )

    async def __call__(self, message: Any, scope: Any) -> None:
        if message.get("type") != "http.response.start":
            return
        answer = list(message.get("headers") or [])
        # One pass over the answer's headers (this runs on every response, the hot path's too).
        present = set()
        content_type = b""
        for name, value in answer:
            lowered = bytes(name).lower()
            present.add(lowered)
            if lowered == b"content-type":
                content_type = bytes(value)
        extra: list[tuple[bytes, bytes]] = [h for h in ALWAYS if h[0] not in present]
        # A 304 carries no content type, and its headers replace the cached answer's: it
        # keeps the policy of the page it revalidates rather than get the API's.
        if b"content-security-policy" not in present and message.get("status") != 304:
            if content_type.startswith(b"text/html"):
                path: str = scope.get("path", "")
                csp = self.docs_csp if path.startswith(self.docs_prefix) else self.app_csp
                extra.append((b"content-security-policy", csp.encode()))
            else:
                extra.append(_API_CSP_HEADER)
        if b"strict-transport-security" not in present and self._over_tls(scope):
            extra.append(_HSTS_HEADER)
        message["headers"] = [*answer, *extra]
