"""Web modules flow one way: app.js only routes, views never import it or each other, no circles.

The rule (STYLE.md): an app's `app.js` is the router; its views take the API client, DOM helpers,
i18n and navigation from shared modules (`core.js`, `parts/`, `app/web/shared/`), never from
`app.js`; a view never imports another view (what two views share moves to a shared module);
`app/web/shared/` imports nothing from any app. The fan app, the console and the scanner all
follow it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest

WEB = Path(__file__).resolve().parents[2] / "app" / "web"
APPS = ("console", "fan", "scan")
# How many views each app has at least (so the check is known to have looked at the real ones).
VIEWS_AT_LEAST = {"console": 5, "fan": 10, "scan": 4}

# `import x from "…"`, `import { a, b as c } from "…"`, `import "…"`, `export { a } from "…"`
STATIC = re.compile(
    r"""^\s*(?:import|export)\s+(?:(?P<what>[\w*{}\s,$]+?)\s+from\s+)?["'](?P<spec>[^"']+)["']""",
    re.MULTILINE,
)
DYNAMIC = re.compile(r"""\bimport\(\s*["'](?P<spec>[^"']+)["']\s*\)""")
EXPORT_DECL = re.compile(
    r"^\s*export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([\w$]+)", re.MULTILINE
)
EXPORT_LIST = re.compile(r"^\s*export\s*\{([^}]*)\}", re.MULTILINE)


@dataclass
class Module:
    path: str  # relative to app/web, POSIX
    imports: list[tuple[str, set[str]]] = field(default_factory=list)  # (target, names)
    dynamic: list[str] = field(default_factory=list)
    exports: set[str] = field(default_factory=set)


def resolve(importer: str, spec: str) -> str | None:
    """A relative specifier as a path under app/web (None for bare or absolute specifiers)."""
    if not spec.startswith("."):
        return None
    parts: list[str] = []
    for part in (PurePosixPath(importer).parent / spec).parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def imported_names(what: str | None) -> set[str]:
    """The names an import statement takes: {"default"}, named ones, or {"*"}."""
    if not what:
        return set()
    names: set[str] = set()
    braces = re.search(r"\{([^}]*)\}", what)
    if braces:
        for item in braces[1].split(","):
            item = item.strip()
            if item:
                names.add(item.split(" as ")[0].strip())
    head = re.sub(r"\{[^}]*\}", "", what).strip().strip(",").strip()
    if head.startswith("*"):
        names.add("*")
    elif head:
        names.add("default")
    return names


def parse(root: Path, rel: str) -> Module:
    text = (root / rel).read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    text = re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)
    module = Module(rel)
    for m in STATIC.finditer(text):
        target = resolve(rel, m["spec"])
        if target:
            module.imports.append((target, imported_names(m["what"])))
    module.dynamic = [t for m in DYNAMIC.finditer(text) if (t := resolve(rel, m["spec"]))]
    module.exports = set(EXPORT_DECL.findall(text))
    for m in EXPORT_LIST.finditer(text):
        for item in m[1].split(","):
            if item.strip():
                module.exports.add(item.strip().split(" as ")[-1].strip())
    if re.search(r"^\s*export\s+default\b", text, re.MULTILINE):
        module.exports.add("default")
    return module


def modules(root: Path, app: str) -> dict[str, Module]:
    """Every module of one app and of shared/ (vendored files are someone else's)."""
    found: dict[str, Module] = {}
    for folder in (app, "shared"):
        for path in sorted((root / folder).rglob("*.js")):
            rel = path.relative_to(root).as_posix()
            if "/vendor/" not in f"/{rel}":
                found[rel] = parse(root, rel)
    return found


def violations(root: Path, app: str) -> list[str]:
    """Every way the app's modules break the one-way rule, as sentences (empty: none)."""
    mods = modules(root, app)
    entry, views = f"{app}/app.js", f"{app}/views/"
    out: list[str] = []
    for mod in mods.values():
        for target, names in mod.imports:
            if target == entry:
                out.append(f"{mod.path} imports {entry}: the router is imported by nobody")
            elif mod.path.startswith("shared/") and not target.startswith("shared/"):
                out.append(f"{mod.path} imports {target}: shared modules import no app")
            elif mod.path.startswith(views) and target.startswith(views):
                out.append(f"{mod.path} imports the view {target}: share through a shared module")
            elif target.startswith(views):
                out.append(f"{mod.path} imports the view {target}: only the router loads views")
            if target in mods:
                if "*" not in names and (missing := names - mods[target].exports):
                    out.append(f"{mod.path} imports {sorted(missing)}, not exported by {target}")
            elif not (root / target).exists():
                out.append(f"{mod.path} imports {target}, which does not exist")
        for target in mod.dynamic:
            if mod.path != entry and target.startswith(views):
                out.append(f"{mod.path} loads the view {target}: only the router loads views")
            elif not (root / target).exists() and not target.endswith(".json"):
                out.append(f"{mod.path} loads {target}, which does not exist")
    # No circles among static imports (the router's dynamic view loads are the one way down).
    graph = {path: [t for t, _ in mod.imports if t in mods] for path, mod in mods.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                out.append("import circle: " + " -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])
    return out


@pytest.mark.parametrize("app", APPS)
def test_the_app_modules_flow_one_way(app: str) -> None:
    assert violations(WEB, app) == []
    mods = modules(WEB, app)
    views = [m for m in mods if m.startswith(f"{app}/views/")]
    assert len(views) >= VIEWS_AT_LEAST[app]  # the check looked at the real views
    # The router loads every view; a view that nothing loads is dead code.
    loaded = set(mods[f"{app}/app.js"].dynamic)
    assert sorted(set(views) - loaded) == []


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


GOOD = {
    "shared/api.js": "export class Client {}\n",
    "demo/core.js": (
        'import { Client } from "../shared/api.js";\n'  # a comment after an import is fine
        "export const api = new Client();\n"
    ),
    "demo/parts/tag.js": (
        'import { api } from "../core.js";\nexport function tag() { return api; }\n'
    ),
    "demo/views/a.js": (
        'import { api } from "../core.js";\nimport { tag } from "../parts/tag.js";\n'
        "export default async function a() { return { nodes: [tag(api)] }; }\n"
    ),
    "demo/views/b.js": (
        '// import { nothing } from "../app.js";  (a comment is not an import)\n'
        'import { api as client } from "../core.js";\n'
        "export default async function b() { return client; }\n"
    ),
    "demo/app.js": (
        'import { api } from "./core.js";\n'
        'const R = [() => import("./views/a.js"), () => import("./views/b.js")];\n'
    ),
}


def test_the_check_passes_a_tree_that_keeps_the_rule(tmp_path: Path) -> None:
    assert violations(write(tmp_path, GOOD), "demo") == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"demo/views/b.js": 'import { api } from "../app.js";\nexport default 1;\n'},
            "demo/views/b.js imports demo/app.js",
        ),
        (
            {"demo/views/b.js": 'import a from "./a.js";\nexport default a;\n'},
            "demo/views/b.js imports the view demo/views/a.js",
        ),
        (
            {
                "demo/views/b.js": 'import {\n  api,\n  navigate,\n} from "../core.js";\n'
                "export default 1;"
            },
            "demo/views/b.js imports ['navigate'], not exported by demo/core.js",
        ),
        (
            {
                "demo/core.js": 'import { tag } from "./parts/tag.js";\n'
                "export const api = 1;\nexport { tag };"
            },
            "import circle: demo/core.js -> demo/parts/tag.js -> demo/core.js",
        ),
        (
            {"shared/api.js": 'import { api } from "../demo/core.js";\nexport class Client {}\n'},
            "shared/api.js imports demo/core.js",
        ),
        (
            {"demo/parts/tag.js": 'import a from "../views/a.js";\nexport const tag = a;\n'},
            "demo/parts/tag.js imports the view demo/views/a.js: only the router loads views",
        ),
        (
            {"demo/views/b.js": 'export default () => import("./a.js");\n'},
            "demo/views/b.js loads the view demo/views/a.js",
        ),
        (
            {"demo/views/b.js": 'import { x } from "../gone.js";\nexport default x;\n'},
            "demo/views/b.js imports demo/gone.js, which does not exist",
        ),
    ],
)
def test_the_check_catches_each_way_of_breaking_the_rule(
    tmp_path: Path, change: dict[str, str], expected: str
) -> None:
    found = violations(write(tmp_path, {**GOOD, **change}), "demo")
    assert any(v.startswith(expected) for v in found), found
