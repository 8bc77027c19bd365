"""One voice per language across the fan app and its emails, and plural forms through the
catalogs: German speaks to fans as "du" everywhere (app and email alike), and a message
about one ticket never says "1 tickets" in any language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.core import i18n
from devtools import catalogs

ROOT = Path(__file__).resolve().parents[2]
# The formal address mid-sentence ("melden Sie sich"), and its object and possessive forms.
# "Sie" opening a sentence is left alone: there it is as often "they" or "it".
FORMAL = re.compile(r"(?<![.:!?]\s)(?<!^)\bSie\b|\b(Ihnen|Ihrem|Ihren|Ihrer)\b")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def fan_app_german() -> list[str]:
    def walk(node: object) -> list[str]:
        if isinstance(node, dict):
            return [text for value in node.values() for text in walk(value)]
        return [str(node)]

    return walk(json.loads((ROOT / "app/web/fan/i18n/de.json").read_text()))


def german_fan_messages() -> list[tuple[str, str]]:
    """(msgid, German) of every message a fan can read in an email or a problem detail:
    everything but the organizers' and admins' own (two-factor enrolment)."""
    with catalogs.po_path("de").open("rb") as handle:
        po = read_po(handle, locale="de", domain=i18n.DOMAIN)
    out = []
    for m in po:
        if not m.id:
            continue
        where = {path for path, _ in m.locations}
        if where and all("totp" in path or "twofactor" in path for path in where):
            continue
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        out += [(str(m.id), form) for form in forms]
    return out


def test_the_fan_app_speaks_german_informally() -> None:
    formal = [text for text in fan_app_german() if FORMAL.search(text)]
    assert formal == []


def test_fan_emails_and_problems_speak_german_informally_like_the_app() -> None:
    formal = [(msgid, text) for msgid, text in german_fan_messages() if FORMAL.search(text)]
    assert formal == []


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_one_ticket_is_singular_and_two_are_plural(locale: str) -> None:
    details = i18n.Np_(
        "{quantity} ticket in section {section}, {amount} paid, order {order}.",
        "{quantity} tickets in section {section}, {amount} paid, order {order}.",
    )
    params = {"section": "Floor", "amount": "50", "order": "abc"}
    one = i18n.render_plural(locale, details, 1, {"quantity": 1, **params})
    two = i18n.render_plural(locale, details, 2, {"quantity": 2, **params})
    assert one.startswith("1 ")
    assert two.startswith("2 ")
    assert one[2:] != two[2:], (one, two)  # the noun changes with the number
    assert "1 tickets" not in one


@pytest.mark.parametrize("locale", ["de", "es", "fr"])
def test_every_plural_message_has_every_form_with_its_placeholders(locale: str) -> None:
    with catalogs.po_path(locale).open("rb") as handle:
        po = read_po(handle, locale=locale, domain=i18n.DOMAIN)
    plurals = [m for m in po if isinstance(m.id, tuple)]
    assert plurals
    for m in plurals:
        assert len(m.string) == po.num_plurals, m.id
        wanted = set(PLACEHOLDER.findall(m.id[1]))
        for form in m.string:
            assert form
            assert set(PLACEHOLDER.findall(form)) == wanted, (m.id, form)
