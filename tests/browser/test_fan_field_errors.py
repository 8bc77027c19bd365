"""Issue 22 finding 16: a fan who fills a form wrongly reads a sentence in their language for
each field error (chosen by the problem's `rule`), never msgspec's raw English text."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Phone, Stack

pytestmark = pytest.mark.timeout(180)

CATALOG = Path(__file__).resolve().parents[2] / "app" / "web" / "fan" / "i18n" / "de.json"


async def test_a_too_short_password_reads_as_a_german_sentence_on_a_phone(
    stack: Stack, phone: Any
) -> None:
    rules = json.loads(CATALOG.read_text())["rules"]
    ph: Phone = await phone("de-DE")
    page = ph.page
    answers: list[dict[str, Any]] = []

    async def keep(response: Any) -> None:
        if response.url.endswith("/api/v1/auth/register"):
            answers.append({"status": response.status, "body": await response.json()})

    page.on("response", keep)
    await page.goto(f"{stack.base}/register")
    await page.locator("#f-email").fill(f"kim-{datetime.now().timestamp()}@example.com")
    await page.locator("#f-password").fill("kurz")
    await page.locator("main form button[type=submit]").click()

    error = page.locator("#f-password-err")
    await expect(error).to_have_text(rules["too_short"])
    await ph.shot("password-too-short")
    # The server did say why, in machine terms; the page shows none of its raw text.
    (answer,) = answers
    assert answer["status"] in (400, 422)
    assert [(e["field"], e["rule"]) for e in answer["body"]["errors"]] == [
        ("password", "too_short")
    ]
    main = await page.locator("main").inner_text()
    assert "Expected" not in main
    assert "$.password" not in main
    assert not re.search(r"length\s*>=", main)
    await expect(page.locator("#f-password")).to_have_attribute("aria-invalid", "true")
    assert ph.errors == []
