"""Finding 7 of security round 2, in Chromium: both apps run under their strict CSP with no
violation reported, and the console cannot be framed by another origin.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.async_api import expect

from app.core.settings import Settings
from tests.browser.conftest import Screen, fan_sign_in
from tests.support.api import Api
from tests.support.servers import api_process

pytestmark = pytest.mark.timeout(300)

# Recorded from the first script that runs in every document, before the app's own.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI} (${where})`);
});
"""


async def open_under_watch(screen: Screen, url: str) -> list[str]:
    """Go to url; the CSP complaints of the console, collected from now on."""
    console: list[str] = []
    screen.page.on(
        "console",
        lambda msg: (
            console.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    await screen.context.add_init_script(RECORD_VIOLATIONS)
    await screen.page.goto(url)
    return console


async def settled(screen: Screen) -> None:
    """The app has drawn its page (the placeholder is gone) and has nothing in flight."""
    await expect(screen.page.locator("#main [aria-busy=true]")).to_have_count(0)
    await screen.page.wait_for_load_state("networkidle")


async def violations(screen: Screen) -> list[str]:
    found: list[str] = await screen.page.evaluate("window.__csp")
    return found


async def assert_inline_script_is_refused(screen: Screen) -> None:
    """The policy is really in force: an injected inline script does not run (a page
    without a CSP would pass the no-violation checks above by having no policy at all)."""
    # An inline script runs (or is refused) synchronously when it is inserted.
    ran = await screen.page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.__inlineRan = true";
          document.head.append(s);
          return window.__inlineRan === true;
        }"""
    )
    assert ran is False
    # The violation event is dispatched as a task of its own: wait for it, bounded.
    await screen.page.wait_for_function(
        "window.__csp.some((v) => v.startsWith('script-src'))", timeout=10_000
    )


async def test_both_apps_run_under_their_policy_without_a_violation(
    settings: Settings, screens: Callable[..., Awaitable[Screen]]
) -> None:
    with api_process(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            fan = await Api(client, settings.database_url).user()
        for path in ("/", "/console/"):
            screen = await screens(path.strip("/") or "fan")
            console = await open_under_watch(screen, base + path)
            await settled(screen)
            assert await violations(screen) == [], path
            assert console == [], path
            assert screen.errors == [], path
            await assert_inline_script_is_refused(screen)
        # A signed-in fan: the app's forms, navigation and live regions under the policy.
        screen = await screens("fan-signed-in")
        console = await open_under_watch(screen, base + "/")
        await settled(screen)
        await fan_sign_in(screen.page, base, fan.email, "/")
        await settled(screen)
        await expect(screen.page.locator("#nav")).not_to_be_empty()
        assert await violations(screen) == []
        assert console == []
        assert screen.errors == []


@contextmanager
def framing_site(target: str) -> Iterator[str]:
    """Another origin (its own port) whose page frames `target`; yields the page's URL."""
    page = f'<!doctype html><title>evil</title><iframe src="{target}"></iframe>'.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


async def test_the_console_cannot_be_framed_by_another_origin(
    settings: Settings, screens: Callable[..., Awaitable[Screen]]
) -> None:
    with api_process(settings) as base, framing_site(f"{base}/console/") as evil:
        screen = await screens()
        async with screen.page.expect_response(f"{base}/console/") as console:
            await screen.page.goto(evil)
        assert (await console.value).status == 200  # served, but not shown
        frames = [f for f in screen.page.frames if f != screen.page.main_frame]
        assert len(frames) == 1
        await frames[0].wait_for_load_state()
        # Blocked: the frame holds Chromium's error page, not the console.
        assert await frames[0].locator("#main").count() == 0, frames[0].url
