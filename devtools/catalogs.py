"""The message catalogs: extract every msgid from the code, merge it into each language's
.po file (`onsale catalogs`), and the check the suite runs (nothing untranslated).

Msgids are the English text. Marked with `N_()`, or the literal detail argument of
`AppError(...)` and of the error helpers below (their detail is a msgid too).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from app.core import i18n

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("app", "waiting_room", "workers")
# Function name -> which positional argument is the msgid (Babel's keyword spec).
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "N_": None,
    "Np_": (1, 2),
    "AppError": (4,),
    "not_found": None,
    "forbidden": None,
    "unauthorized": None,
    "sale_not_open": None,
    "not_admitted": None,
}


def extract() -> Catalog:
    """Every msgid in the code, with where it occurs."""
    catalog = Catalog(domain=i18n.DOMAIN, project="onsale", charset="utf-8")
    for source in SOURCES:
        for filename, lineno, message, comments, _ in extract_from_dir(
            ROOT / source, keywords=KEYWORDS, comment_tags=("i18n:",)
        ):
            if message and (
                isinstance(message, str) or (isinstance(message, tuple) and all(message))
            ):
                catalog.add(
                    message, locations=[(f"{source}/{filename}", lineno)], auto_comments=comments
                )
    return catalog


def po_path(locale: str) -> Path:
    return ROOT / "app" / "locale" / locale / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def update() -> dict[str, list[str]]:
    """Merge the extracted msgids into every .po file; the untranslated ones per language."""
    template = extract()
    missing: dict[str, list[str]] = {}
    for locale in i18n.LOCALES:
        if locale == i18n.DEFAULT:
            continue
        path = po_path(locale)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale, domain=i18n.DOMAIN)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale, domain=i18n.DOMAIN, project="onsale")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=False)
        missing[locale] = [str(m.id) for m in catalog if m.id and (not m.string or m.fuzzy)]
    return missing


def untranslated() -> dict[str, list[str]]:
    """Per language, every msgid of the code without a (non-fuzzy) translation."""
    template = extract()
    out: dict[str, list[str]] = {}
    for locale in i18n.LOCALES:
        if locale == i18n.DEFAULT:
            continue
        out[locale] = [
            str(m.id)
            for m in template
            if m.id
            and not (
                i18n.plural_translated(locale, m.id[0])
                if isinstance(m.id, tuple)
                else i18n.translated(locale, str(m.id))
            )
        ]
    return out


if __name__ == "__main__":
    left = update()
    for locale, ids in left.items():
        print(f"{locale}: {len(ids)} untranslated")
        for msgid in ids:
            print(f"  {msgid}")
