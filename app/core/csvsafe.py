"""CSV cells that a spreadsheet will show as text, never run as a formula (OWASP CSV injection)."""

from __future__ import annotations

from typing import Any

# A cell starting with one of these is a formula in Excel, LibreOffice and
# Google Sheets (tab and carriage return also start one after a separator).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Strings that would start a formula get a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
