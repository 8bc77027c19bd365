"""Field-error rules: a small, stable vocabulary a client can translate, and msgspec's
validation messages mapped onto it.

Every `invalid_request` problem carries `errors: [{field, rule, message}]`. `message` is the
server's English wording and may change; `rule` never does, so the web apps show their own
sentence per rule in the user's language instead of the raw text.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

import msgspec

REQUIRED: Final = "required"
TOO_SHORT: Final = "too_short"
TOO_LONG: Final = "too_long"
PATTERN: Final = "pattern"
TYPE: Final = "type"
MIN: Final = "min"
MAX: Final = "max"
CHOICE: Final = "choice"
FORMAT: Final = "format"
UNKNOWN_FIELD: Final = "unknown_field"
CONTROL_CHARS: Final = "control_chars"
# A password on the common-or-breached list (app.auth.passwords).
COMMON: Final = "common"
INVALID: Final = "invalid"  # anything else: see `message`

RULES: Final = frozenset(
    {
        REQUIRED,
        TOO_SHORT,
        TOO_LONG,
        PATTERN,
        TYPE,
        MIN,
        MAX,
        CHOICE,
        FORMAT,
        UNKNOWN_FIELD,
        CONTROL_CHARS,
        COMMON,
        INVALID,
    }
)

# No C0 control (CR, LF and tab included), DEL or C1 control: a value that may reach a
# mail header, a file name or a log line stays on one line and cannot start another header.
# "(?![\s\S])" is the end of the text in Python and in JSON Schema (ECMA) alike; Python's "$"
# would also match before a trailing newline and let "Name\n" through.
NO_CONTROLS: Final = r"^[^\x00-\x1F\x7F-\x9F]*(?![\s\S])"
_CONTROL: Final = re.compile(r"[\x00-\x1F\x7F-\x9F]")
_CONTROL_RUN: Final = re.compile(r"[\x00-\x1F\x7F-\x9F]+")

# A single line of text (names, titles, labels, URLs): control characters refused.
LINE: Final = msgspec.Meta(pattern=NO_CONTROLS)
Line = Annotated[str, LINE]


def has_controls(text: str) -> bool:
    return _CONTROL.search(text) is not None


def one_line(text: str) -> str:
    """`text` with every run of control characters as one space: for a value stored before
    the rule existed (or written around the API) that still has to go into a header."""
    return _CONTROL_RUN.sub(" ", text).strip()


_AT = re.compile(r" - at `\$\.?([^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `([^`]*)`")
_UNKNOWN = re.compile(r"^Object contains unknown field `([^`]*)`")
# (message start, rule), first match wins.
_BY_PREFIX: Final = (
    (re.compile(r"^Expected `\w+` of length >= "), TOO_SHORT),
    (re.compile(r"^Expected `\w+` of length <= "), TOO_LONG),
    (re.compile(r"^Expected `\w+` (?:>=|>) "), MIN),
    (re.compile(r"^Expected `\w+` (?:<=|<) "), MAX),
    (re.compile(r"^Expected `\w+` matching regex "), PATTERN),
    (re.compile(r"^Expected `[^`]+`, got `"), TYPE),
    (re.compile(r"^Invalid enum value "), CHOICE),
    (re.compile(r"^Invalid "), FORMAT),
    (re.compile(r"^Expected `\w+` with(?:out)? a timezone"), FORMAT),
)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def classify(message: str, field: str | None = None) -> tuple[str, str]:
    """(field, rule) of one msgspec (or Litestar) validation message.

    `field` is used when the message names none (a query parameter's error, say).
    """
    at = _AT.search(message)
    path = at.group(1) if at else ""
    head = message[: at.start()] if at else message
    if missing := _MISSING.match(head):
        return _join(path, missing.group(1)), REQUIRED
    if unknown := _UNKNOWN.match(head):
        return _join(path, unknown.group(1)), UNKNOWN_FIELD
    name = path or field or "body"
    for prefix, rule in _BY_PREFIX:
        if prefix.match(head):
            return name, rule
    return name, INVALID


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def value_at(document: object, path: str) -> object:
    """The value at a msgspec error path ("sections[0].name") of a decoded JSON document,
    or None when the path leads nowhere."""
    node = document
    for name, index in _STEP.findall(path):
        if name and isinstance(node, dict):
            node = node.get(name)
        elif index and isinstance(node, list) and int(index) < len(node):
            node = node[int(index)]
        else:
            return None
    return node


def refine(rule: str, value: object) -> str:
    """A pattern the value fails because of a control character is `control_chars`: the one
    rule a client can explain without knowing the pattern."""
    if rule == PATTERN and isinstance(value, str) and has_controls(value):
        return CONTROL_CHARS
    return rule
