"""Every API operation has a screen, or a line saying why not (docs/reference/capabilities.md,
"Every capability has a screen, or a reason"): each operation of the app is in the table, and
each fan-app module named there still makes the call it is named for."""

from __future__ import annotations

import re
from pathlib import Path

from app.routes import all_routes

ROOT = Path(__file__).resolve().parents[2]
CAPABILITIES = ROOT / "docs" / "reference" / "capabilities.md"
ROW = re.compile(r"^\| `(?P<op>\w+)` \| (?P<fan>[^|]*) \| (?P<other>[^|]*) \|$")
FAN = re.compile(r"^`(?P<file>app/web/[\w/.-]+\.js)`: `` (?P<call>.+) ``$")


def table() -> dict[str, tuple[str, str]]:
    text = CAPABILITIES.read_text()
    start = text.index("# Every capability has a screen, or a reason")
    rows: dict[str, tuple[str, str]] = {}
    for line in text[start:].splitlines()[1:]:
        if line.startswith("#"):
            break
        m = ROW.match(line.strip())
        if m:
            rows[m["op"]] = (m["fan"].strip(), m["other"].strip())
    return rows


def operations() -> set[str]:
    ops = set()
    for handler in all_routes():
        if any(p.startswith("/api/v1") for p in handler.paths):
            ops.add(handler.operation_id)
    return ops


def test_every_operation_has_a_screen_or_a_reason() -> None:
    rows = table()
    missing = sorted(operations() - set(rows))
    assert missing == [], f"add these to the table in {CAPABILITIES.relative_to(ROOT)}: {missing}"
    stale = sorted(set(rows) - operations())
    assert stale == [], f"no such operation any more: {stale}"
    for op, (fan, other) in rows.items():
        assert fan or other, op


def test_each_named_fan_module_makes_its_call() -> None:
    for op, (fan, _) in table().items():
        if not fan:
            continue
        m = FAN.match(fan)
        assert m, (op, fan)
        source = (ROOT / m["file"]).read_text()
        assert m["call"] in source, f"{op}: {m['file']} no longer contains {m['call']!r}"
