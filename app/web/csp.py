"""The Content-Security-Policy of the two apps and of the docs page, from the Settings.

The apps (fan app at /, console at /console/) load scripts, styles, workers and data
from this origin only, plus Stripe.js from the origin ONSALE_STRIPE_JS_URL names (the
stand-in's own under dev and tests); the one inline script, each shell's import map, is
allowed by its hash. No inline script, style or handler runs, no page may frame them.
Swagger UI (/schema) renders its page with inline script and style, so only that page
allows them; it still loads nothing from elsewhere and cannot be framed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from app.core.settings import Settings
from app.web.assets import Bundle

# Stripe.js itself frames Stripe's pages and calls Stripe's API from the page.
STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_FRAMES = ("https://js.stripe.com", "https://hooks.stripe.com")
STRIPE_API = "https://api.stripe.com"


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def stripe_sources(settings: Settings) -> tuple[list[str], list[str], list[str]]:
    """(script, frame, connect) origins Stripe.js needs under these settings."""
    js = origin(settings.stripe_js)
    if js == STRIPE_JS_ORIGIN:
        return [js], list(STRIPE_FRAMES), [STRIPE_API]
    # A stand-in (localstripe) or a mirror: its script talks to its own origin.
    api = origin(settings.stripe_api_base) or js
    return [js], [js], sorted({js, api})


def app_policy(settings: Settings, bundle: Bundle) -> str:
    script, frame, connect = stripe_sources(settings)
    hashes = sorted(set(bundle.inline_script_hashes))
    directives = [
        "default-src 'self'",
        "script-src " + " ".join(["'self'", *script, *hashes]),
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src " + " ".join(["'self'", *connect]),
        "frame-src " + " ".join(frame),
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


DOCS_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
