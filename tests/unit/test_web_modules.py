"""The scanner app's modules flow one way (STYLE.md): app.js only routes; views take the API
client, DOM helpers, i18n and navigation from shared modules, never from app.js, and a view
never imports another view."""

from __future__ import annotations

import re
from pathlib import Path

SCAN = Path(__file__).resolve().parents[2] / "app" / "web" / "scan"
IMPORT = re.compile(r"""(?:import\s[^;]*?from\s*|import\()\s*["']([^"']+)["']""")


def imports_of(source: Path) -> set[str]:
    """Every module a file imports, statically or dynamically, resolved to a path."""
    return {
        (source.parent / spec).resolve().relative_to(SCAN.parent).as_posix()
        for spec in IMPORT.findall(source.read_text())
        if spec.startswith(".")
    }


def test_views_never_import_app_js_or_another_view() -> None:
    views = sorted((SCAN / "views").glob("*.js"))
    assert len(views) >= 4
    for view in views:
        found = imports_of(view)
        assert "scan/app.js" not in found, view.name
        assert not any(p.startswith("scan/views/") for p in found), (view.name, found)


def test_nothing_but_app_js_imports_app_js() -> None:
    for source in SCAN.rglob("*.js"):
        if "vendor" in source.parts or source.name == "app.js":
            continue
        assert "scan/app.js" not in imports_of(source), source.name


def test_app_js_routes_to_every_view() -> None:
    routed = {p for p in imports_of(SCAN / "app.js") if p.startswith("scan/views/")}
    assert routed == {f"scan/views/{v.name}" for v in (SCAN / "views").glob("*.js")}
