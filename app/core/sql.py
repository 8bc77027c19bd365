"""Named SQL blocks loaded from app/sql/queries/*.sql, parsed once.

A file holds blocks of the form::

    -- name_of_query --
    -- What it does (one line).
    SELECT ...;

and `queries.name_of_query` returns the SQL text.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_HEADER = re.compile(r"^--\s*([a-z0-9_]+)\s*--\s*$", re.MULTILINE)


def parse_blocks(text: str) -> dict[str, str]:
    blocks: dict[str, str] = {}
    matches = list(_HEADER.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body_lines = [
            line
            for line in text[match.end() : end].strip().splitlines()
            if not line.lstrip().startswith("--")
        ]
        name = match.group(1)
        if name in blocks:
            raise ValueError(f"duplicate SQL block {name!r}")
        blocks[name] = "\n".join(body_lines).strip().rstrip(";")
    return blocks


class Queries:
    """Attribute access to every named block of every queries file."""

    def __init__(self, blocks: dict[str, str]) -> None:
        self._blocks = blocks

    def __getattr__(self, name: str) -> str:
        try:
            return self._blocks[name]
        except KeyError:
            raise AttributeError(f"no SQL block named {name!r}") from None

    def names(self) -> set[str]:
        return set(self._blocks)


@cache
def load_queries() -> Queries:
    blocks: dict[str, str] = {}
    folder = resources.files("app") / "sql" / "queries"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            for name, sql in parse_blocks(entry.read_text()).items():
                if name in blocks:
                    raise ValueError(f"duplicate SQL block {name!r} in {entry.name}")
                blocks[name] = sql
    return Queries(blocks)


queries = load_queries()


def like_pattern(text: str) -> str:
    """A LIKE pattern (ESCAPE '\\') matching lower-cased `text` anywhere, its % and _ literal."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
