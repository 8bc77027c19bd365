"""Catalogs: every msgid of the code translated in every language, placeholders intact;
language choice; Babel formatting; the .po files shipped by a plain `pip install .`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core import i18n
from app.core.errors import AppError
from devtools import catalogs

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def test_every_message_id_is_translated_in_every_language() -> None:
    template = catalogs.extract()
    ids = [str(m.id) for m in template if m.id]
    assert len(ids) > 50  # email texts and problem details
    assert catalogs.untranslated() == {"de": [], "es": [], "fr": []}


@pytest.mark.parametrize("locale", ["de", "es", "fr"])
def test_translations_keep_every_placeholder(locale: str) -> None:
    for msgid, text in i18n.catalog(locale).items():
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(text)), (msgid, text)


def test_language_choice() -> None:
    assert i18n.negotiate("de-AT,de;q=0.9,en;q=0.8") == "de"
    assert i18n.negotiate("en;q=0.1, fr;q=0.9") == "fr"
    assert i18n.negotiate("pt-BR, es;q=0") is None
    assert i18n.negotiate("*") is None
    assert i18n.negotiate("") is None
    assert i18n.choose("fr_FR", "de") == "fr"  # the profile wins
    assert i18n.choose("pt", "es-MX") == "es"
    assert i18n.choose(None, None) == "en"


def test_babel_formats_money_and_dates_per_language() -> None:
    assert i18n.format_money("de", 8900, "EUR") == "89,00\xa0€"
    assert i18n.format_money("en", 8900, "EUR") == "€89.00"
    # No minor unit in yen: 1500 is 1500 yen.
    assert i18n.format_money("fr", 1500, "JPY") == "1\u202f500\xa0JPY"
    when = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    assert i18n.format_when("de", when, "Europe/Berlin") == "Dienstag, 1. Dezember 2026, 20:00 CET"
    assert i18n.format_when("fr", when, "Europe/Berlin") == "mardi 1 décembre 2026, 20:00 CET"
    assert i18n.format_when("en", when, "America/New_York").startswith("Tuesday, December 1, 2026")
    assert i18n.format_when("es", when, "Nowhere/Invalid").endswith("19:00 UTC")


def test_app_error_renders_detail_per_language_with_stable_title_and_code() -> None:
    err = AppError(
        "sold_out",
        409,
        "Sold out",
        i18n.N_("Section {section} has {left} of {quantity} requested seats left"),
        params={"section": "A", "left": 0, "quantity": 3},
    )
    assert err.detail == "Section A has 0 of 3 requested seats left"
    de, en = err.problem("de"), err.problem("en")
    assert de.detail == "Im Bereich A sind nur noch 0 der 3 gewünschten Plätze frei"
    assert (de.title, de.code) == (en.title, en.code) == ("Sold out", "sold_out")
    plain = AppError("x", 400, "X", "no such msgid in any catalog")
    assert plain.problem("fr").detail == "no such msgid in any catalog"


@pytest.mark.slow
def test_a_plain_pip_install_ships_the_catalogs(tmp_path: Path) -> None:
    # From a clean copy of the sources: pip builds in the tree, and a build/ folder left
    # there from an earlier run would be packaged too.
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".onsale", "tests"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("onsale-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for locale in ("de", "es", "fr"):
        assert f"app/locale/{locale}/LC_MESSAGES/onsale.po" in names
    assert "app/sql/migrations/0006_notifications.sql" in names
