"""Accounts on a phone (360×740), in English and Spanish, against real API and worker processes
and a real SMTP sink: forgot password → the emailed link → a new password → signed in with it;
the link used twice says so; registering a taken address says the right words on the
create-account page. axe-core clean on each new screen."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest
from playwright.async_api import expect

from app.core.settings import Settings
from devtools.mailsink import MailSink, text_of
from tests.browser.conftest import Phone, Stack
from tests.support.api import PASSWORD

pytestmark = pytest.mark.timeout(300)

NEW_PASSWORD = "a brand new passphrase 42"
LINK = re.compile(r"https?://\S+/reset\?token=\S+")

TEXT = {
    "en-US": {
        "forgot": "Forgot your password?",
        "sent": "has an Onsale account, a link to choose a new password is on its way.",
        "subject": "Reset your Onsale password",
        "set": "Your password is changed, and you were signed out everywhere.",
        "invalid": "This link is not valid any more",
        "exists": "We could not sign you in with this password.",
    },
    "es-ES": {
        "forgot": "¿Olvidaste tu contraseña?",
        "sent": "tiene una cuenta de Onsale, te llega un enlace para elegir una contraseña nueva.",
        "subject": "Restablece tu contraseña de Onsale",
        "set": "Tu contraseña ha cambiado y se ha cerrado tu sesión en todas partes.",
        "invalid": "Este enlace ya no es válido",
        "exists": "No pudimos iniciar tu sesión con esta contraseña.",
    },
}


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    server = MailSink(tmp_path / "mail")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(settings: Settings, sink: MailSink) -> Settings:
    return msgspec.structs.replace(settings, smtp_url=sink.url, notify_backoff_s=0.05)


async def reset_mail(sink: MailSink, email: str, page: Any) -> Any:
    for _ in range(100):
        found = [m.message for m in sink.messages() if m.message["To"] == email]
        if found:
            return found[0]
        await page.wait_for_timeout(200)
    raise AssertionError(f"no email to {email}")


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
async def test_password_reset_by_the_emailed_link(
    stack: Stack, phone: Any, sink: MailSink, locale: str
) -> None:
    text = TEXT[locale]
    # Registered from a phone in this language, never choosing one.
    email = f"reset-{uuid.uuid4().hex[:8]}@example.com"
    r = await stack.client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD},
        headers={"Accept-Language": f"{locale},en;q=0.5"},
    )
    assert r.status_code == 201, r.text
    ph: Phone = await phone(locale)
    page = ph.page

    await page.goto(f"{stack.base}/signin")
    await page.get_by_role("link", name=text["forgot"]).click()
    await expect(page.locator("#forgot-form")).to_be_visible()
    await page.locator("#f-email").fill(email)
    await ph.shot("forgot")
    assert await ph.axe("forgot") == []
    await page.locator("#forgot-form button[type=submit]").click()
    await expect(page.locator("main .notice.ok")).to_contain_text(text["sent"])
    await ph.shot("link-sent")

    # The email, in the fan's language (the phone's, at registration), with the link.
    message = await reset_mail(sink, email, page)
    assert message["Subject"] == text["subject"]
    links = LINK.findall(text_of(message))
    assert len(links) == 1
    url = urlsplit(links[0])
    token = parse_qs(url.query)["token"][0]

    await page.goto(f"{stack.base}{url.path}?{url.query}")
    await expect(page.locator("#reset-form")).to_be_visible()
    # The token leaves the address bar once read.
    assert "token" not in page.url
    await page.locator("#f-password").fill(NEW_PASSWORD)
    await ph.shot("new-password")
    assert await ph.axe("new-password") == []
    await page.locator("#reset-form button[type=submit]").click()
    await expect(page.locator("main .notice.ok")).to_contain_text(text["set"])
    await ph.shot("password-set")

    # The new password signs in; the old one does not.
    r = await stack.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 401
    await page.locator("main a.btn").click()
    await page.locator("#f-email").fill(email)
    await page.locator("#f-password").fill(NEW_PASSWORD)
    await page.locator("main form button[type=submit]").click()
    await expect(page).to_have_url(re.compile(r"/$"))
    await expect(page.locator("#nav")).to_contain_text(re.compile(r"\S"))

    # The same link again: refused, with the way to a new one.
    await page.goto(f"{stack.base}/reset?token={token}")
    await page.locator("#f-password").fill("yet another passphrase 7")
    await page.locator("#reset-form button[type=submit]").click()
    await expect(page.locator("#account-status")).to_contain_text(text["invalid"])
    await expect(page.locator("#account-status a.btn")).to_have_attribute("href", "/forgot")
    await ph.shot("link-used")
    assert await ph.axe("link-used") == []
    assert ph.errors == []


async def test_registering_a_taken_address_says_so_on_the_create_account_page(
    stack: Stack, phone: Any
) -> None:
    owner = await stack.api.user("fan")
    ph: Phone = await phone("en-US")
    page = ph.page
    await page.goto(f"{stack.base}/register")
    await page.locator("#f-email").fill(owner.email)
    await page.locator("#f-password").fill("somebody else's passphrase 1")
    await page.locator("main form button[type=submit]").click()
    status = page.locator("main .notice.warn")
    await expect(status).to_contain_text(TEXT["en-US"]["exists"])
    # Not the sign-in page's words.
    await expect(page.locator("main")).not_to_contain_text("Email address or password is not right")
    await expect(page.locator("main")).not_to_contain_text("null")
    await expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
    await ph.shot("account-exists")
    assert await ph.axe("account-exists") == []
    assert ph.errors == []
