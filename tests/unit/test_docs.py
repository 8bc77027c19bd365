"""The documentation: a short README whose links resolve, a site whose every page is in the
navigation and builds strict with nothing from another host, and reference pages that match
the code (every setting, every metric, every alert with a runbook, every API route)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.asgi import create_app
from app.core.settings import Settings
from devtools import docs

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)\s]+)\)|src=\"([^\"]+)\"")


def slug(heading: str) -> str:
    """The anchor mkdocs (Python-Markdown's toc) gives a heading."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[-\s]+", "-", text).strip("-")


def anchors(page: Path) -> set[str]:
    return {slug(m[1]) for m in re.finditer(r"^#+\s+(.+?)\s*$", page.read_text(), re.M)}


def nav_pages(nav: list[Any]) -> list[str]:
    pages: list[str] = []
    for item in nav:
        if isinstance(item, str):
            pages.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def mkdocs_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    return config


# The README --------------------------------------------------------------------------------


def test_the_readme_is_short() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= 260, f"README.md has {len(lines)} lines: move the detail to docs/"


def test_every_link_in_the_readme_resolves() -> None:
    text = README.read_text()
    checked = 0
    for m in LINK.finditer(text):
        target = m[1] or m[2]
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path, _, anchor = target.partition("#")
        assert (ROOT / path).exists(), f"README links to {path}, which does not exist"
        if anchor:
            assert anchor in anchors(ROOT / path), f"README links to {target}: no such heading"
        checked += 1
    assert checked >= 10


def test_the_readme_commands_are_the_ones_ci_runs() -> None:
    text = README.read_text()
    install = 'pip install -c constraints.txt -e ".[dev]"'
    assert f"{install} && onsale dev --demo" in text
    assert f"{install} && python -m devtools.suite" in text
    assert "python -m devtools.suite" in (ROOT / ".ci" / "run").read_text()


# The site ----------------------------------------------------------------------------------


def test_every_page_is_in_the_navigation() -> None:
    config = mkdocs_config()
    in_nav = nav_pages(config["nav"])
    on_disk = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    generated = set(docs.GENERATED)
    assert sorted(on_disk - set(in_nav)) == [], "add these pages to the nav in mkdocs.yml"
    assert sorted(set(in_nav) - on_disk - generated) == [], "the nav names missing pages"
    assert generated <= set(in_nav)
    assert not on_disk & generated, "generated pages are built, not kept in docs/"
    assert len(in_nav) == len(set(in_nav)), "a page is in the nav twice"


def test_the_site_loads_nothing_from_another_host() -> None:
    config = mkdocs_config()
    assert config["theme"]["font"] is False  # Material's Google Fonts
    assert config["strict"] is True
    for asset in [*config.get("extra_javascript", []), *config.get("extra_css", [])]:
        assert "//" not in str(asset), asset  # served with the site
        assert (DOCS / str(asset)).is_file(), asset
    assert not config.get("extra", {}).get("analytics")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_the_site_builds_strict_with_every_generated_page(site: Path) -> None:
    for page in docs.GENERATED:
        assert (site / page.removesuffix(".md") / "index.html").is_file(), page
    assert (site / "screenshots" / "fan-waiting-de.png").is_file()
    for plot in docs.PLOTS:
        assert (site / plot).read_bytes().startswith(b"\x89PNG"), plot


def test_no_built_page_loads_anything_from_another_host(site: Path) -> None:
    outside = re.compile(r"<(?:script|link|img|iframe)\b[^>]*(?:src|href)=\"(?:https?:)?//", re.I)
    for page in site.rglob("*.html"):
        found = outside.findall(page.read_text())
        assert found == [], (page.relative_to(site), found)
    for sheet in site.rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*[\"']?(?:https?:)?//", sheet.read_text()), sheet


# Reference pages that match the code --------------------------------------------------------


def test_every_setting_is_on_the_configuration_page() -> None:
    page = docs.configuration_page()
    rows = set(re.findall(r"^\| `(ONSALE_\w+)` \|", page, re.M))
    fields = {"ONSALE_" + name.upper() for name in Settings.__struct_fields__}
    assert sorted(fields - rows) == []
    assert len(fields) > 40


def test_every_setting_is_read_from_the_variable_the_page_names() -> None:
    # The page derives each variable's name from its field; from_env must read exactly it.
    for field, kind in docs.settings_fields():
        sample = {"bool": "true", "int": "7", "float": "7.5"}.get(kind, "https://x.example/7")
        if field == "env":
            sample = "staging"
        settings = Settings.from_env({docs.env_name(field): sample, "ONSALE_ENV": "dev"})
        if field == "env":
            settings = Settings.from_env({"ONSALE_ENV": sample})
        assert str(getattr(settings, field)).lower() == sample, field


def test_every_metric_is_on_the_metrics_page() -> None:
    source = (ROOT / "app" / "core" / "metrics.py").read_text()
    names = set(re.findall(r"\"(onsale_[a-z0-9_]+)\"", source))
    page = docs.metrics_page()
    listed = set(re.findall(r"^\| `(onsale_[a-z0-9_]+)` \|", page, re.M))
    for name in names:
        assert name in listed or f"{name}_total" in listed, name


def test_every_alert_has_a_runbook_section() -> None:
    rules = yaml.safe_load((ROOT / "prometheus" / "alerts.yml").read_text())
    alerts = [r for group in rules["groups"] for r in group["rules"] if "alert" in r]
    assert alerts
    page = docs.alerts_page()
    sections = re.split(r"^## ", page, flags=re.M)[1:]
    by_name = {s.split("\n", 1)[0].strip(): s for s in sections}
    for rule in alerts:
        section = by_name.get(rule["alert"])
        assert section is not None, f"no section for {rule['alert']}"
        runbook = section.split("**Runbook.**", 1)[1].split("**Resolved when")[0].strip()
        assert len(runbook) > 40, (
            f"{rule['alert']} has no runbook: add one to prometheus/alerts.yml"
        )
        assert rule["annotations"]["runbook"].strip() in section
        assert re.search(r"^1\. ", runbook, re.M), f"{rule['alert']}: no steps in its runbook"


def test_every_route_is_in_the_api_reference() -> None:
    doc = docs.openapi_document()
    page = docs.api_page(doc)
    served = create_app(Settings()).openapi_schema.to_schema()
    count = 0
    for path, item in served["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            assert f"### `{method.upper()} {path}`" in page, (method, path)
            assert f"#op-{op['operationId'].lower()}" in page, op["operationId"]
            count += 1
    assert count > 50


def test_the_api_reference_documents_problem_responses() -> None:
    page = docs.api_page()
    section = page.split("### `POST /api/v1/events/{event_id}/holds`", 1)[1].split("\n### ", 1)[0]
    assert "| 409 |" in section
    assert "application/problem+json" in section
