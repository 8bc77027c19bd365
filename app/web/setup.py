"""Builds the web bundle of one API process from its Settings (what the pages are told)."""

from __future__ import annotations

from app.core.settings import Settings
from app.web.assets import Bundle, build


def web_bundle(settings: Settings) -> Bundle:
    return build(
        {
            "stripe_js_url": settings.stripe_js,
            "stripe_publishable_key": settings.stripe_publishable_key,
        }
    )
