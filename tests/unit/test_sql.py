"""The named SQL block loader, and every query name the code refers to exists."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.core.sql import load_queries, parse_blocks

ROOT = Path(__file__).resolve().parents[2]


def test_blocks_are_named_described_and_trimmed() -> None:
    text = """
-- first_one --
-- What it does (a description line, not SQL).
SELECT 1;

-- second --
-- Another.
UPDATE t
SET a = 1
WHERE b = $1;
"""
    assert parse_blocks(text) == {
        "first_one": "SELECT 1",
        "second": "UPDATE t\nSET a = 1\nWHERE b = $1",
    }


def test_a_name_used_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="duplicate SQL block 'x'"):
        parse_blocks("-- x --\nSELECT 1;\n-- x --\nSELECT 2;\n")


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no SQL block named 'nope'"):
        _ = load_queries().nope


def referenced_query_names() -> dict[str, list[str]]:
    """name -> files, for every `queries.<name>` in the runtime code."""
    found: dict[str, list[str]] = {}
    for folder in ("app", "waiting_room", "workers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "queries"
                ):
                    found.setdefault(node.attr, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_referenced_query_exists() -> None:
    referenced = referenced_query_names()
    assert len(referenced) > 40  # the scan sees the repos
    missing = {
        name: files for name, files in referenced.items() if name not in load_queries().names()
    }
    assert missing == {}


def test_every_query_is_used() -> None:
    unused = load_queries().names() - set(referenced_query_names()) - {"names"}
    assert unused == set(), "SQL blocks nobody calls: remove them or call them"
