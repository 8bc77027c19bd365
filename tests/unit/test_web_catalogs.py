"""The web apps' message catalogs (fan app, scanner, console and the standalone room): every
language has every message, every key the code asks for exists, and placeholders match across
languages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

WEB = Path(__file__).resolve().parents[2] / "app" / "web"
FAN = WEB / "fan"
APPS = ("fan", "scan", "console", "room")
# Keys found in the code at the least (a check that the scan saw the app at all): the room
# is one screen.
KEYS_AT_LEAST = {"fan": 40, "scan": 40, "console": 40, "room": 15}
LANGUAGES = ("en", "de", "es", "fr")
PLURAL_FORMS = {"zero", "one", "two", "few", "many", "other"}


def flatten(node: Any, prefix: str = "") -> dict[str, str]:
    """key -> message; a plural object {"one":…, "other":…} flattens to its own key."""
    if isinstance(node, dict) and node and set(node) <= PLURAL_FORMS:
        return {prefix: " ".join(node.values())}
    if isinstance(node, dict):
        out: dict[str, str] = {}
        for key, value in node.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else key))
        return out
    return {prefix: str(node)}


def catalog(lang: str, app: str = "fan") -> dict[str, str]:
    return flatten(json.loads((WEB / app / "i18n" / f"{lang}.json").read_text()))


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_language_has_every_message_with_the_same_placeholders(lang: str, app: str) -> None:
    en, other = catalog("en", app), catalog(lang, app)
    assert set(other) == set(en)
    for key, text in en.items():
        assert set(re.findall(r"\{(\w+)\}", other[key])) == set(re.findall(r"\{(\w+)\}", text)), key


@pytest.mark.parametrize("app", APPS)
def test_every_key_the_code_uses_exists(app: str) -> None:
    en = catalog("en", app)
    root = WEB / app
    used: set[str] = set()
    for source in root.rglob("*.js"):
        if "vendor" in source.relative_to(root).parts:
            continue
        text = source.read_text()
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", text))
        used |= set(re.findall(r"""data-i18n="([\w.]+)\"""", text))
    html = (root / "index.html").read_text()
    used |= set(re.findall(r'data-i18n="([\w.]+)"', html))
    used |= {pair.split(":")[1] for pair in re.findall(r'data-i18n-attr="([^"]+)"', html)}
    missing = sorted(k for k in used if k not in en)
    assert missing == []
    assert len(used) > KEYS_AT_LEAST[app]
