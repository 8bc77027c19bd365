"""The documentation's reference pages, generated from the code so they cannot drift.

- Configuration: every field of `app.core.settings.Settings` (its variable, type and the
  defaults `Settings.from_env` gives in production and under dev), with the meaning kept in
  `docs/operators/configuration.yml`;
- Metrics: every metric of `app.core.metrics`;
- Alerts: every rule of `prometheus/alerts.yml`, each with its runbook;
- The HTTP API: every operation of the app's OpenAPI document (as `/schema/openapi.json`
  serves it), rendered as Markdown, with nothing loaded from another host.

`mkdocs build` adds them to the site through the `on_files` hook below (mkdocs.yml
`hooks:`); `python -m devtools.docs --out DIR` writes them to DIR to read them as files.
"""

from __future__ import annotations

import argparse
import json
import re
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CONFIG_NOTES = DOCS / "operators" / "configuration.yml"
ALERT_RULES = ROOT / "prometheus" / "alerts.yml"
RUNBOOKS = DOCS / "operators" / "runbooks.yml"

_SECRETISH = re.compile(r"(secret|_key|password|token)$")


def _cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(value: object) -> str:
    text = str(value)
    return f"`{text}`" if text else "unset"


# Configuration ---------------------------------------------------------------------------


def env_name(field: str) -> str:
    return "ONSALE_" + field.upper()


def settings_fields() -> list[tuple[str, str]]:
    """(field, type) of every Settings field, in declaration order."""
    from app.core.settings import Settings

    hints = Settings.__annotations__
    return [(name, str(hints[name])) for name in Settings.__struct_fields__]


def config_notes() -> dict[str, dict[str, str]]:
    """The meaning of each variable: one entry per name (`A, B` names share one entry)."""
    raw = yaml.safe_load(CONFIG_NOTES.read_text())
    notes: dict[str, dict[str, str]] = {}
    for key, entry in raw.items():
        for name in (part.strip() for part in key.split(",")):
            notes[name] = {**entry, "key": key}
    return notes


def _default(field: str) -> str:
    from app.core.settings import Settings

    production = getattr(Settings.from_env({}), field)
    dev = getattr(Settings.from_env({"ONSALE_ENV": "dev"}), field)

    def show(value: object) -> str:
        if isinstance(value, bool):
            return "`true`" if value else "`false`"
        if value and _SECRETISH.search(field):
            return "a development value"
        return _code(value)

    if production == dev:
        return show(production)
    return f"production: {show(production)}; dev: {show(dev)}"


def configuration_page() -> str:
    notes = config_notes()
    fields = settings_fields()
    names = {env_name(field) for field, _ in fields}
    missing = sorted(names - set(notes))
    if missing:
        raise ValueError(f"{CONFIG_NOTES.relative_to(ROOT)} has no meaning for {missing}")
    stale = sorted(n for n, note in notes.items() if n not in names and "where" not in note)
    if stale:
        raise ValueError(
            f"{CONFIG_NOTES.relative_to(ROOT)}: {stale} are not Settings fields "
            "(remove them, or say `where:` they are read)"
        )
    out = [
        "# Configuration",
        "",
        "Every setting comes from the environment, read once into one `Settings` object",
        "(`app/core/settings.py`). Each has a default that works for `onsale dev`;",
        "`onsale api` and `onsale worker` run with `ONSALE_ENV=production` unless told",
        "otherwise, and refuse to start with a weak secret (see [Security](security.md)).",
        "",
        "This page is generated from `Settings` when the site is built: the type and the",
        "defaults are the code's (`Settings.from_env` with nothing set, in production and",
        "under `ONSALE_ENV=dev`); the meaning is kept in `docs/operators/configuration.yml`.",
        "",
        "## Settings",
        "",
        "| variable | type | default | meaning |",
        "|---|---|---|---|",
    ]
    for field, kind in fields:
        name = env_name(field)
        note = notes[name]
        meaning = _cell(note["meaning"])
        if note.get("default"):
            meaning = meaning.rstrip(".") + f". *Default:* {_cell(note['default'])}."
        out.append(f"| `{name}` | `{kind}` | {_default(field)} | {meaning} |")
    out += [
        "",
        "## Read by the tools, the bench and the tests",
        "",
        "These are not `Settings`: the process or tool named reads them itself.",
        "",
        "| variable | read by | default | meaning |",
        "|---|---|---|---|",
    ]
    seen: set[str] = set()
    for name, note in notes.items():
        if name in names or note["key"] in seen:
            continue
        seen.add(note["key"])
        shown = ", ".join(f"`{n.strip()}`" for n in note["key"].split(","))
        out.append(
            f"| {shown} | {_cell(note['where'])} | {_cell(note.get('default', '') or 'unset')} "
            f"| {_cell(note['meaning'])} |"
        )
    out += [
        "",
        "Roles travel in the access token: a role granted by an admin",
        "(`POST /api/v1/admin/users/{id}/roles`) applies from the user's next login or token",
        "refresh.",
        "",
    ]
    return "\n".join(out)


# Metrics ---------------------------------------------------------------------------------


def metrics() -> list[tuple[str, str, str, tuple[str, ...], str]]:
    """(name, type, help, labels, where) of every metric Onsale exports."""
    from prometheus_client.metrics import MetricWrapperBase

    from app.core import metrics as module

    found: list[tuple[str, str, str, tuple[str, ...], str]] = []
    for value in vars(module).values():
        if isinstance(value, MetricWrapperBase):
            # prometheus_client keeps these on the wrapper, with no public accessor.
            kind = str(value._type)
            name = str(value._name) + ("_total" if kind == "counter" else "")
            labels = tuple(str(label) for label in value._labelnames)
            found.append((name, kind, str(value._documentation), labels, "in process"))
    for name, (doc, labels) in module.LIVE_GAUGES.items():
        found.append((name, "gauge", doc, labels, "read from Redis at scrape time"))
    return sorted(found)


def metrics_page() -> str:
    out = [
        "# Metrics",
        "",
        "`GET /metrics` on the API (with `ONSALE_METRICS_TOKEN`: `Authorization: Bearer`;",
        "without it public only under `ONSALE_ENV=dev`), and `onsale worker --metrics-port",
        "9100` for a worker. Labels are route templates, event ids, section codes and",
        "outcomes, never user, hold or order ids. With `onsale api --workers N` (N > 1)",
        "prometheus_client runs in multiprocess mode and any worker answering `/metrics`",
        "reports the sum of all. The gauges read from Redis at scrape time are the same on",
        "every replica: chart them with `max by (...)`.",
        "",
        "This page is generated from `app/core/metrics.py` when the site is built; the",
        "alerts on these metrics, each with its runbook, are in [Alerts](alerts.md).",
        "",
        "| metric | type | labels | what it counts | source |",
        "|---|---|---|---|---|",
    ]
    for name, kind, doc, labels, where in metrics():
        shown = ", ".join(f"`{label}`" for label in labels) or "–"
        out.append(f"| `{name}` | {kind} | {shown} | {_cell(doc)} | {where} |")
    out.append("")
    return "\n".join(out)


# Alerts ----------------------------------------------------------------------------------


def alert_rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(ALERT_RULES.read_text())
    return [
        {**rule, "group": group["name"]}
        for group in data["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def runbooks() -> dict[str, dict[str, Any]]:
    """The runbook of each alert (docs/operators/runbooks.yml): means, steps, resolved."""
    books: dict[str, dict[str, Any]] = yaml.safe_load(RUNBOOKS.read_text())
    return books


def alerts_page() -> str:
    rules = alert_rules()
    books = runbooks()
    names = [rule["alert"] for rule in rules]
    missing = [name for name in names if not (books.get(name) or {}).get("steps")]
    if missing:
        raise ValueError(f"{RUNBOOKS.relative_to(ROOT)} has no runbook (steps) for {missing}")
    stale = sorted(set(books) - set(names))
    if stale:
        raise ValueError(f"{RUNBOOKS.relative_to(ROOT)}: no such alert any more: {stale}")
    out = [
        "# Alerts and runbooks",
        "",
        "The Prometheus rules in `prometheus/alerts.yml` (Prometheus shows them under",
        "*Alerts*; the compose stack loads them). This page is generated from that file when",
        "the site is built: one section per alert, with what fires it and its runbook (kept in",
        "`docs/operators/runbooks.yml`; a test fails while an alert has none). The metrics",
        "they read are in [Metrics](metrics.md).",
        "",
        "| alert | severity | fires when |",
        "|---|---|---|",
    ]
    for rule in rules:
        severity = rule.get("labels", {}).get("severity", "")
        summary = rule.get("annotations", {}).get("summary", "")
        out.append(
            f"| [{rule['alert']}](#{rule['alert'].lower()}) | {severity} | {_cell(summary)} |"
        )
    for rule in rules:
        notes = rule.get("annotations", {})
        out += [
            "",
            f"## {rule['alert']}",
            "",
            f"**Severity:** {rule.get('labels', {}).get('severity', 'none')}; **group:** "
            f"`{rule['group']}`; **for:** {rule.get('for', '0s')}.",
            "",
            f"**Summary:** {notes.get('summary', '')}",
            "",
            "```promql",
            str(rule["expr"]).strip(),
            "```",
            "",
        ]
        book = books[rule["alert"]]
        out += ["", f"**What it means.** {' '.join(str(book.get('means', '')).split())}"]
        out += ["", "**Runbook.** First look: " + notes.get("runbook", ""), ""]
        out += [f"{n}. {step}" for n, step in enumerate(book["steps"], 1)]
        if book.get("resolved"):
            out += ["", f"**Resolved when:** {book['resolved']}"]
    out.append("")
    return "\n".join(out)


# The HTTP API ----------------------------------------------------------------------------

_METHODS = ("get", "post", "put", "patch", "delete")


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as `/schema/openapi.json` serves it (its start-up amendments
    applied), built without opening any connection."""
    from app.asgi import create_app
    from app.core.openapi import document_media_types, document_problems
    from app.core.settings import Settings

    with warnings.catch_warnings():
        # Litestar's deprecation notes about handler signatures are not the docs' business.
        warnings.simplefilter("ignore")
        app = create_app(Settings())
    document_problems(app)
    document_media_types(app)
    doc: dict[str, Any] = app.openapi_schema.to_schema()
    return doc


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation, in the document's order."""
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in _METHODS
    ]


def _schema_text(schema: dict[str, Any]) -> str:
    """A short type for a schema: a link to a component, or its type."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#schema-{name.lower()})"
    for combo in ("oneOf", "anyOf"):
        if combo in schema:
            parts = [_schema_text(s) for s in schema[combo]]
            return " or ".join(p for p in parts if p)
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return f"array of {_schema_text(schema.get('items', {}))}"
    if schema.get("enum"):
        return f"{kind} ({', '.join(f'`{v}`' for v in schema['enum'])})"
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    return str(kind or "any")


def _body_schema(content: dict[str, Any]) -> str:
    parts = []
    for media, body in content.items():
        parts.append(f"`{media}` {_schema_text(body.get('schema', {}))}".strip())
    return "; ".join(parts)


def api_page(doc: dict[str, Any] | None = None) -> str:
    doc = doc or openapi_document()
    info = doc["info"]
    out = [
        "# HTTP API",
        "",
        f"{info.get('description', '')} ({info['title']} {info['version']}, OpenAPI "
        f"{doc['openapi']}.)",
        "",
        "This page is generated from the app's OpenAPI document when the site is built;",
        "a running API serves the same document at `/schema/openapi.json` and Swagger UI at",
        "`/schema` (both from the package). Every error is RFC 9457 problem JSON",
        "(`application/problem+json`) with a stable `code`; bodies are JSON unless said.",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for method, path, op in operations(doc):
        by_tag.setdefault((op.get("tags") or ["other"])[0], []).append((method, path, op))
    out += ["| tag | operations |", "|---|---|"]
    for tag, ops in by_tag.items():
        links = ", ".join(
            f"[{op['operationId']}](#op-{op['operationId'].lower()})" for _, _, op in ops
        )
        out.append(f"| {tag} | {links} |")
    for tag, ops in by_tag.items():
        out += ["", f"## {tag}"]
        for method, path, op in ops:
            out += ["", f"### `{method} {path}` {{ #op-{op['operationId'].lower()} }}", ""]
            out.append(
                f"**{op['operationId']}**" + (f": {op['summary']}" if op.get("summary") else "")
            )
            if op.get("description"):
                out += ["", op["description"].strip()]
            params = op.get("parameters", [])
            if params:
                out += ["", "| parameter | in | type | required | description |"]
                out.append("|---|---|---|---|---|")
                for p in params:
                    out.append(
                        f"| `{p['name']}` | {p['in']} | {_cell(_schema_text(p.get('schema', {})))} "
                        f"| {'yes' if p.get('required') else 'no'} "
                        f"| {_cell(p.get('description', ''))} |"
                    )
            body = op.get("requestBody")
            if body:
                out += ["", f"**Body:** {_body_schema(body.get('content', {}))}"]
            out += ["", "| status | description | body |", "|---|---|---|"]
            for status, response in op.get("responses", {}).items():
                content = _body_schema(response.get("content", {}))
                out.append(
                    f"| {status} | {_cell(response.get('description', ''))} | {_cell(content)} |"
                )
    out += ["", "## Schemas"]
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        out += ["", f"### {name} {{ #schema-{name.lower()} }}", ""]
        if schema.get("description"):
            out += [_cell(schema["description"]), ""]
        props = schema.get("properties")
        if not props:
            out.append(f"Type: {_cell(_schema_text(schema))}.")
            continue
        required = set(schema.get("required", []))
        out += ["| field | type | required | description |", "|---|---|---|---|"]
        for field, spec in props.items():
            needed = "yes" if field in required else "no"
            out.append(
                f"| `{field}` | {_cell(_schema_text(spec))} | {needed} "
                f"| {_cell(spec.get('description', ''))} |"
            )
    out.append("")
    return "\n".join(out)


# Plots of the kept bench reports ---------------------------------------------------------

FINALIZE_REPORT = DOCS / "bench" / "finalize-20261207T130951Z.json"
CLUSTER_REPORT = DOCS / "bench" / "cluster-20261129T115618Z.json"


def _png(figure: Any) -> bytes:
    import io

    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return out.getvalue()


def finalize_plot() -> bytes:
    """CPU per order by process, and orders per second, for each round of the report."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    report = json.loads(FINALIZE_REPORT.read_text())
    rounds = report["finalize"]["end_to_end"]
    load = report["load_average_at_start"][0]
    parts: dict[str, list[float]] = {"workers": [], "API": []}
    for r in rounds:
        parts["workers"].append(r["worker_cpu_ms_per_order"])
        parts["API"].append(r["api_cpu_ms_per_order"])
        for name, ms in r["cpu_ms_per_order"].items():
            parts.setdefault(name, [0.0] * (len(parts["workers"]) - 1)).append(ms)
    labels = [f"round {i}" + (" (cold)" if i == 1 else "") for i in range(1, len(rounds) + 1)]
    fig, (cpu, rate) = plt.subplots(1, 2, figsize=(9, 3.4))
    bottom = [0.0] * len(rounds)
    for name, values in parts.items():
        cpu.bar(labels, values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    cpu.set_ylabel("CPU ms per order")
    cpu.set_title("CPU per order, by process")
    cpu.legend(fontsize=7)
    rate.bar(labels, [r["orders_per_s"] for r in rounds], color="#3f51b5")
    rate.set_ylabel("orders per second")
    rate.set_title("orders per second (2 workers)")
    fig.suptitle(
        f"finalize, {FINALIZE_REPORT.stem}: 2 cores, load average {load:.0f} at start",
        fontsize=9,
        y=1.03,
    )
    data = _png(fig)
    plt.close(fig)
    return data


def capacity_plot() -> bytes:
    """Holds and room polls per core-second, single Redis against a Redis Cluster."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    report = json.loads(CLUSTER_REPORT.read_text())
    holds, polls = report["holds"], report["polls"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.bar(
        ["single Redis", "Redis Cluster"],
        [holds["single"]["holds_per_api_core_s"], holds["cluster"]["holds_per_api_core_s"]],
        color=["#3f51b5", "#7986cb"],
    )
    left.set_ylabel("holds per API core-second")
    left.set_title("POST /holds end to end")
    right.bar(
        ["API, no cache", "nginx cache"],
        [polls["direct_polls_per_api_core_s"], polls["cached_polls_per_core_s"]],
        color=["#3f51b5", "#7986cb"],
    )
    right.set_yscale("log")
    right.set_ylabel("room polls per core-second (log)")
    right.set_title("GET …/room")
    fig.suptitle(f"{CLUSTER_REPORT.stem}: 2 cores, wrk at 32 connections", fontsize=9, y=1.03)
    data = _png(fig)
    plt.close(fig)
    return data


PLOTS: dict[str, Callable[[], bytes]] = {
    "performance/finalize-rounds.png": finalize_plot,
    "performance/capacity.png": capacity_plot,
}


# The site --------------------------------------------------------------------------------

GENERATED: dict[str, Callable[[], str]] = {
    "operators/configuration.md": configuration_page,
    "operators/metrics.md": metrics_page,
    "operators/alerts.md": alerts_page,
    "integrators/api.md": api_page,
}


def generated() -> dict[str, str]:
    """Every generated page, by its path under docs/."""
    return {path: render() for path, render in GENERATED.items()}


def on_files(files: Any, config: Any) -> Any:
    """mkdocs hook: add the generated pages to the site (they are not kept in docs/)."""
    from mkdocs.structure.files import File

    for path, text in generated().items():
        files.append(File.generated(config, path, content=text))
    for path, draw in PLOTS.items():
        files.append(File.generated(config, path, content=draw()))
    return files


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write the pages to")
    parser.add_argument("--openapi", action="store_true", help="also write openapi.json")
    args = parser.parse_args(list(argv) if argv is not None else None)
    for path, text in generated().items():
        target = args.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        print(target)
    for path, draw in PLOTS.items():
        target = args.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(draw())
        print(target)
    if args.openapi:
        (args.out / "openapi.json").write_text(json.dumps(openapi_document(), indent=2))


if __name__ == "__main__":
    main()
