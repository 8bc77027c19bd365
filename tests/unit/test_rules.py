"""Field-error rules: msgspec's validation messages mapped onto the stable vocabulary, the
single-line text type, and the header text of a stored value (issue 22, findings 4 and 16)."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest

from app.core import rules


class Inner(msgspec.Struct):
    a: int


class Form(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=5), rules.LINE]
    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]+$")] = "A"
    n: Annotated[int, msgspec.Meta(ge=1, le=9)] = 1
    items: Annotated[list[int], msgspec.Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: [1]
    )
    sub: list[Inner] = msgspec.field(default_factory=list)


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({}, "name", rules.REQUIRED),
        ({"name": "a"}, "name", rules.TOO_SHORT),
        ({"name": "abcdef"}, "name", rules.TOO_LONG),
        ({"name": "ab", "code": "a"}, "code", rules.PATTERN),
        ({"name": "ab", "n": 0}, "n", rules.MIN),
        ({"name": "ab", "n": 10}, "n", rules.MAX),
        ({"name": "ab", "n": "1"}, "n", rules.TYPE),
        ({"name": "ab", "items": []}, "items", rules.TOO_SHORT),
        ({"name": "ab", "x": 1}, "x", rules.UNKNOWN_FIELD),
        ({"name": "ab", "sub": [{"a": "x"}]}, "sub[0].a", rules.TYPE),
        ({"name": "ab", "sub": [{}]}, "sub[0].a", rules.REQUIRED),
    ],
    ids=lambda v: str(v)[:20],
)
def test_msgspec_messages_map_to_a_field_and_a_rule(
    body: dict[str, object], field: str, rule: str
) -> None:
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.convert(body, Form, strict=True)
    assert rules.classify(str(caught.value)) == (field, rule)


def test_a_line_refuses_every_control_character_and_keeps_unicode() -> None:
    for bad in ["a\r\nb", "a\n", "\tab", "a\x00b", "ab\x7f", "a\x85b", "ab\r"]:
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert({"name": bad}, Form)
        assert rules.has_controls(bad)
    assert msgspec.convert({"name": "Zoë🎵"}, Form).name == "Zoë🎵"


def test_a_pattern_failed_by_a_control_character_is_control_chars() -> None:
    document = {"sections": [{"name": "a\r\nb"}], "url": "ftp://x"}
    assert rules.value_at(document, "sections[0].name") == "a\r\nb"
    assert rules.value_at(document, "sections[3].name") is None
    assert rules.refine(rules.PATTERN, rules.value_at(document, "sections[0].name")) == (
        rules.CONTROL_CHARS
    )
    assert rules.refine(rules.PATTERN, rules.value_at(document, "url")) == rules.PATTERN
    assert rules.refine(rules.TOO_LONG, "a\nb") == rules.TOO_LONG


def test_a_query_parameter_message_names_its_parameter() -> None:
    assert rules.classify("Expected `int`, got `str`", "limit") == ("limit", rules.TYPE)
    assert rules.classify("something new", "q") == ("q", rules.INVALID)


def test_one_line_for_headers() -> None:
    assert rules.one_line("Zoë\r\nBcc: x@evil.example") == "Zoë Bcc: x@evil.example"
    assert rules.one_line("a\t\tb\x00") == "a b"
