"""Defaults that depend on ONSALE_ENV."""

from __future__ import annotations

from app.core.settings import Settings


def test_organizers_need_a_second_factor_by_default_in_production_only() -> None:
    assert Settings.from_env({"ONSALE_ENV": "production"}).require_2fa_organizers is True
    assert Settings.from_env({}).require_2fa_organizers is True  # production is the default
    assert Settings.from_env({"ONSALE_ENV": "dev"}).require_2fa_organizers is False
    off = {"ONSALE_ENV": "production", "ONSALE_REQUIRE_2FA_ORGANIZERS": "false"}
    assert Settings.from_env(off).require_2fa_organizers is False
    on = {"ONSALE_ENV": "dev", "ONSALE_REQUIRE_2FA_ORGANIZERS": "true"}
    assert Settings.from_env(on).require_2fa_organizers is True
