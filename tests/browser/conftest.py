"""Browser fixtures: Debian's Chromium through Playwright, a real API + worker stack, phone pages,
screenshots under tests/artifacts/browser/, and axe-core checks.

Chromium comes from apt (installed here when missing): Playwright's own browser
download cannot reach its host from these machines. axe-core comes from the
npm registry into a cache folder, once.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from app.core.settings import Settings
from devtools import debian
from tests.support import checkout as h
from tests.support.api import PASSWORD, Api
from tests.support.servers import KEEPALIVE_S, ROOT, api_process, worker_process

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
AXE_VERSION = "4.14.1"
AXE_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "onsale-tests" / "axe"
PHONE = {"width": 360, "height": 740}

pytestmark = pytest.mark.timeout(300)


def ensure_chromium() -> str:
    debian.ensure("chromium", "chromium", CHROMIUM)
    return CHROMIUM


def axe_script() -> Path:
    """axe.min.js from the npm registry, installed once into a cache folder (under a lock:
    the suite's parallel workers may all ask at once)."""
    script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed once to fetch axe-core (apt-get install npm)")
    AXE_CACHE.mkdir(parents=True, exist_ok=True)
    with (AXE_CACHE / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not script.exists():
            subprocess.run(
                [
                    npm,
                    "install",
                    "--prefix",
                    str(AXE_CACHE),
                    "--no-audit",
                    "--no-fund",
                    f"axe-core@{AXE_VERSION}",
                ],
                check=True,
            )
    return script


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    path = ensure_chromium()
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@dataclass
class Stack:
    base: str
    client: httpx.AsyncClient
    api: Api
    settings: Settings
    stripe_base: str


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


@pytest.fixture
async def stack(settings: Settings, stripe_base: str) -> AsyncIterator[Stack]:
    """A real `onsale api` and `onsale worker`, the webhook registered with localstripe."""
    with api_process(settings) as base, worker_process(settings):
        h.register(stripe_base, base, settings)
        limits = httpx.Limits(keepalive_expiry=KEEPALIVE_S)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            yield Stack(base, client, Api(client, settings.database_url), settings, stripe_base)


@dataclass
class Screen:
    """A browser page with its screenshots folder and the JS errors it raised."""

    context: BrowserContext
    page: Page
    folder: Path
    errors: list[str] = field(default_factory=list)
    step: int = 0

    async def shot(self, name: str) -> Path:
        self.step += 1
        path = self.folder / f"{self.step:02d}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    async def axe(self, name: str, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations of the page as it is now."""
        # From the page's own origin (the browser's router answers it): the apps' CSP
        # refuses inline script, which is how add_script_tag(path=...) would inject it.
        parts = urlsplit(self.page.url)
        url = f"{parts.scheme}://{parts.netloc}/__tests__/axe.min.js"
        await self.page.route(
            url,
            lambda route: route.fulfill(path=str(axe_script()), content_type="text/javascript"),
        )
        await self.page.add_script_tag(url=url)
        result = await self.page.evaluate(
            "(ex) => axe.run(ex.length ? {exclude: ex} : document, {resultTypes: ['violations']})",
            list(exclude),
        )
        (self.folder / f"axe-{name}.json").write_text(json.dumps(result["violations"], indent=1))
        return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


# The fan app's pages are phone-sized screens.
Phone = Screen


@pytest.fixture
async def screens(
    browser: Browser, request: pytest.FixtureRequest
) -> AsyncIterator[Callable[..., Awaitable[Screen]]]:
    """screens(name="", **context_options) -> a page in a fresh browser context, its
    screenshots under tests/artifacts/browser/<test>[-name]/; contexts close after the test."""
    made: list[Screen] = []

    async def make(name: str = "", **context_options: Any) -> Screen:
        context = await browser.new_context(**context_options)
        page = await context.new_page()
        page.set_default_timeout(30_000)
        folder = ARTIFACTS / (request.node.name + (f"-{name}" if name else ""))
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        screen = Screen(context, page, folder)
        page.on("pageerror", lambda exc: screen.errors.append(str(exc)))
        made.append(screen)
        return screen

    yield make
    for screen in made:
        await screen.context.close()


@pytest.fixture
def phone(
    screens: Callable[..., Awaitable[Screen]],
) -> Callable[..., Awaitable[Phone]]:
    """phone(locale="en-US", dark=False) -> a 360×740 touch page; screenshots per test."""

    async def make(locale: str = "en-US", name: str = "", dark: bool = False) -> Phone:
        return await screens(
            name,
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale=locale,
            timezone_id="America/New_York",
            color_scheme="dark" if dark else "light",
        )

    return make


async def fan_sign_in(page: Page, base: str, email: str, next_path: str) -> None:
    """Sign in on the fan app's form, which then goes on to next_path."""
    await page.goto(f"{base}/signin?next={next_path}")
    await page.locator("#f-email").fill(email)
    await page.locator("#f-password").fill(PASSWORD)
    await page.locator("main form button[type=submit]").click()


def verify_ticket_cli(base: str, event_id: str, code: str) -> subprocess.CompletedProcess[str]:
    """`onsale tickets verify CODE` as a door scanner would run it: with the event's public
    key fetched from the API and no server secret in its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONSALE_")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "tickets",
            "verify",
            code,
            "--event",
            event_id,
            "--api",
            base,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
