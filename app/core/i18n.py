"""Languages: gettext catalogs (app/locale/<lang>/LC_MESSAGES/onsale.po, read with Babel),
the choice of a language from a profile or Accept-Language, and localized dates and money.

The .po files ship as package data and are read directly on first use, so a plain
`pip install .` carries everything (no build step that could forget compiled .mo files).
"""

from __future__ import annotations

import gettext as gnu
import io
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, get_currency_precision

DOMAIN = "onsale"
DEFAULT = "en"
# English is the source language: its msgids are the English text.
LOCALES = ("en", "de", "es", "fr")


def N_(msgid: str) -> str:
    """Marks a string for extraction into the catalogs; translated later, where shown."""
    return msgid


def Np_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with plural forms ("{n} ticket" / "{n} tickets"); each language's
    catalog gives as many forms as its plural rule needs (Plural-Forms of the .po)."""
    return (singular, plural)


class Term(str):
    """A parameter that is itself a msgid (a noun such as "Event"), translated with the text."""

    __slots__ = ()


def language(tag: str | None) -> str | None:
    """The supported language of a tag such as 'de-AT' or 'fr_FR', or None."""
    if not tag:
        return None
    lang = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return lang if lang in LOCALES else None


def negotiate(accept_language: str | None) -> str | None:
    """The best supported language of an Accept-Language header (q-values honoured)."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = language(tag)
        if lang and q > 0:
            ranked.append((-q, i, lang))
    return min(ranked)[2] if ranked else None


def choose(profile_locale: str | None, accept_language: str | None = None) -> str:
    """The profile's language first, then the request's, then English."""
    return language(profile_locale) or negotiate(accept_language) or DEFAULT


def catalog_path(locale: str) -> resources.abc.Traversable:
    return resources.files("app") / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalog(locale: str) -> dict[str, str]:
    """msgid -> translation of one language: the .po read with Babel, fuzzy and empty
    entries left out (they fall back to English)."""
    if locale == DEFAULT or locale not in LOCALES:
        return {}
    with catalog_path(locale).open("rb") as handle:
        po = read_po(handle, locale=locale, domain=DOMAIN)
    return {
        str(m.id): str(m.string)
        for m in po
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


@cache
def plural_catalog(locale: str) -> gnu.NullTranslations:
    """The language's messages with plural forms, through the standard gettext machinery
    (the .po compiled in memory by Babel, fuzzy entries left out)."""
    if locale == DEFAULT or locale not in LOCALES:
        return gnu.NullTranslations()
    with catalog_path(locale).open("rb") as handle:
        po = read_po(handle, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, po, use_fuzzy=False)
    compiled.seek(0)
    return gnu.GNUTranslations(compiled)


def plural_translated(locale: str, singular: str) -> bool:
    if locale == DEFAULT:
        return True
    # GNUTranslations keeps plural entries under (singular, form index).
    return (singular, 0) in getattr(plural_catalog(locale), "_catalog", {})


def render_plural(
    locale: str, msgids: tuple[str, str], n: int, params: Mapping[str, object] | None = None
) -> str:
    """The form of the message for the number n in this language, placeholders filled."""
    text = plural_catalog(locale).ngettext(msgids[0], msgids[1], n)
    values = {
        k: gettext(locale, v) if isinstance(v, Term) else v for k, v in (params or {}).items()
    }
    return text.format(**values)


def gettext(locale: str, msgid: str) -> str:
    return catalog(locale).get(msgid, msgid)


def translated(locale: str, msgid: str) -> bool:
    return locale == DEFAULT or msgid in catalog(locale)


def render(locale: str, msgid: str, params: Mapping[str, object] | None = None) -> str:
    """The msgid in this language with its {placeholders} filled (Terms translated too)."""
    text = gettext(locale, msgid)
    if not params:
        return text
    values = {k: gettext(locale, v) if isinstance(v, Term) else v for k, v in params.items()}
    return text.format(**values)


def format_money(locale: str, amount_minor: int, currency: str) -> str:
    """Integer minor units as this language writes them (8900 EUR -> '89,00 €' in de)."""
    digits = get_currency_precision(currency)
    return format_currency(amount_minor / 10**digits, currency, locale=Locale.parse(locale))


def format_when(locale: str, value: datetime, timezone: str) -> str:
    """A date and time in the event's time zone, as this language writes them, with the
    zone's abbreviation ('Dienstag, 1. Dezember 2026, 20:00 CET')."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    loc = Locale.parse(locale)
    local = value.astimezone(zone)
    date = format_date(local, "full", locale=loc)
    time = format_time(local, "short", tzinfo=zone, locale=loc)
    # CLDR's "{1}, {0}" (date, time), quotes around literal words removed.
    pattern = str(loc.datetime_formats["long"]).replace("'", "")
    return pattern.format(f"{time} {local.tzname()}", date)
