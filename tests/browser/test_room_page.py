"""The standalone room's page in Chromium on a 360×740 phone, in English, German, Spanish and
French: the place, the people ahead and the wait while the gate queues; nothing scrolls
sideways, axe-core finds nothing serious; once the gate lets the fan through, the page takes
them back to the page they asked for. Screenshots land in tests/artifacts/browser/<test>/."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import expect

from app.core import keys
from app.gate.state import REFRESH_S
from tests.browser.conftest import PHONE, Screen, Stack
from tests.browser.test_console_screens import overflow
from tests.support.redis_clients import connect

pytestmark = pytest.mark.timeout(300)

TITLE = {
    "en": "You are in the waiting room",
    "de": "Du bist im Warteraum",
    "es": "Estás en la sala de espera",
    "fr": "Vous êtes dans la salle d'attente",
}
AHEAD = {"en": "1,234", "de": "1.234", "es": "1234", "fr": "1\u202f234"}


async def test_the_room_page_at_phone_size_in_four_languages(
    stack: Stack, screens: Callable[..., Awaitable[Screen]]
) -> None:
    redis = connect(stack.settings.redis_url)
    try:
        for lang in ("en", "de", "es", "fr"):
            # The shop is struggling; 1,234 fans are in line before this one.
            await redis.delete(keys.gate())
            await redis.hset(keys.gate(), mapping={"state": "queueing", "seq": 1234, "admitted": 0})  # type: ignore[misc]
            await asyncio.sleep(REFRESH_S + 0.2)  # the API's copy of the gate follows
            s = await screens(lang, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale=lang, base_url=stack.base)  # fmt: skip
            await s.page.goto("/room/?next=/events?from=room&x=1")
            await expect(
                s.page.get_by_role("heading", name=TITLE[lang], exact=True)
            ).to_be_visible()
            await expect(s.page.locator("#place")).to_have_text(
                "#" + AHEAD[lang].replace("234", "235")
            )
            await expect(s.page.locator("#ahead")).to_have_text(AHEAD[lang])
            width = await overflow(s.page)
            assert width["scroll"] <= width["client"], width
            await s.shot(f"room-{lang}")
            if lang == "en":
                assert await s.axe("room") == []
            # The shop recovers and the line reaches this fan: back to the page asked for.
            await redis.hset(keys.gate(), "admitted", 5000)  # type: ignore[misc]
            await s.page.wait_for_url("**/events?from=room&x=1", timeout=20_000)
            assert s.errors == []
    finally:
        await redis.aclose()
