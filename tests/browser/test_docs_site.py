"""The documentation site in Chromium, as a reader opens it: at phone size (360 px) and at
desktop size, nothing requested from another host, no page wider than the screen, the
navigation reaching the generated reference pages, axe-core clean. Its two screenshots are
the gallery's docs-phone.png and docs-desktop.png."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator

import pytest

from tests.browser.conftest import PHONE, Screen
from tests.support.servers import ROOT

pytestmark = pytest.mark.timeout(300)

# Pages a reader of each guide lands on, the generated reference among them.
PAGES = [
    "/",
    "/fans-organizers/fan-app/",
    "/operators/configuration/",
    "/operators/alerts/",
    "/integrators/api/",
    "/performance/latest-run/",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site built strict, served from a local port."""
    out = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=True,
        timeout=300,
    )
    handler = functools.partial(_Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


async def read(screen: Screen, site: str, path: str, outside: list[str]) -> None:
    screen.page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith((site, "data:")) else None,
    )
    answer = await screen.page.goto(site + path, wait_until="networkidle")
    assert answer is not None
    assert answer.status == 200, path
    width = await screen.page.evaluate("document.documentElement.scrollWidth")
    viewport = screen.page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"], f"{path} is {width} px wide"


async def test_the_site_reads_on_a_phone_and_a_desktop_with_nothing_from_outside(
    site: str, screens: Callable[..., Awaitable[Screen]]
) -> None:
    outside: list[str] = []
    phone = await screens(
        "phone", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    for path in PAGES:
        await read(phone, site, path, outside)
    await read(phone, site, "/", outside)
    await phone.page.screenshot(path=str(phone.folder / "docs-phone.png"))
    # The navigation drawer reaches the operators' generated pages.
    await phone.page.locator('label.md-header__button[for="__drawer"]').click()
    drawer = phone.page.locator("nav.md-nav--primary")
    await drawer.locator("label.md-nav__link", has_text="Operators").click()
    await drawer.get_by_role("link", name="Configuration", exact=True).click()
    await phone.page.wait_for_url(f"{site}/operators/configuration/")
    variable = phone.page.locator("td:first-child code", has_text="ONSALE_SECRET_KEY")
    assert await variable.count() == 1
    assert await phone.axe("configuration") == []

    desktop = await screens("desktop", viewport={"width": 1280, "height": 800})
    for path in PAGES:
        await read(desktop, site, path, outside)
    await read(desktop, site, "/integrators/api/#op-createhold", outside)
    await desktop.page.screenshot(path=str(desktop.folder / "docs-desktop.png"))
    assert await desktop.axe("api") == []
    assert await desktop.page.locator("h3#op-createhold").is_visible()

    assert outside == []
    assert phone.errors == []
    assert desktop.errors == []


def test_the_gallery_has_the_sites_screenshots() -> None:
    for name in ("docs-phone.png", "docs-desktop.png"):
        assert (ROOT / "docs" / "screenshots" / name).is_file(), name
