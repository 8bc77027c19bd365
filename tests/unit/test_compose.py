"""compose.yaml, Dockerfile, Prometheus and Grafana files: valid and pointing at real things."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from app.cli import main
from app.core import metrics

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(doc, dict)
    return doc


def entrypoint() -> list[str]:
    """The ENTRYPOINT of the Dockerfile's last stage: the Onsale image."""
    lines = [
        line
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("ENTRYPOINT")
    ]
    assert lines, "Dockerfile has no ENTRYPOINT"
    value: list[str] = json.loads(lines[-1].split(None, 1)[1])
    return value


def check_onsale_command(args: list[str]) -> None:
    """Resolve args through the real click group: unknown commands or options raise."""
    command: click.Command = main
    ctx = click.Context(main, info_name="onsale")
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        sub = command.get_command(ctx, args[0])
        assert sub is not None, f"`onsale {args[0]}` is not a subcommand"
        command, args = sub, args[1:]
    assert not isinstance(command, click.Group), f"`{command.name}` needs a subcommand"
    # Parses every option and argument like the real run would, without running it.
    command.make_context(command.name, list(args), parent=ctx)


def test_compose_is_valid_yaml_with_the_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("redis", "postgres", "migrate", "api", "worker", "prometheus", "grafana"):
        assert name in services, name
    assert "localstripe" in services["localstripe"]["profiles"]
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["worker"]["deploy"]["replicas"] >= 2
    redis_cmd = services["redis"]["command"]
    assert redis_cmd[redis_cmd.index("--appendonly") + 1] == "yes"


def test_every_onsale_service_runs_a_real_subcommand(compose: dict[str, Any]) -> None:
    assert entrypoint() == ["onsale"]
    checked = []
    for name, service in compose["services"].items():
        if not str(service.get("image", "")).startswith("onsale") and "build" not in service:
            continue  # third-party images (redis, postgres, prometheus, grafana)
        command = service.get("command")
        assert isinstance(command, list), f"{name}: command must be an exec list"
        assert command, f"{name}: empty command"
        if "entrypoint" in service:
            # A console script of another image built from our Dockerfile (its own stage),
            # installed here by the dev extra.
            binary = service["entrypoint"][0]
            target = service["build"]["target"]
            assert f" AS {target}\n" in (ROOT / "Dockerfile").read_text(), f"{name}: no stage"
            assert shutil.which(binary), f"{name}: {binary} is not installed by the dev extra"
            continue
        check_onsale_command([str(a) for a in command])
        checked.append(name)
    assert {"migrate", "api", "worker"} <= set(checked)


def test_unknown_subcommand_or_option_is_caught() -> None:
    with pytest.raises(AssertionError):
        check_onsale_command(["nope"])
    with pytest.raises(click.UsageError):
        check_onsale_command(["worker", "--no-such-option"])


def test_depends_on_conditions_and_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    allowed = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for dep, spec in depends.items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert spec["condition"] in allowed
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{dep} has no healthcheck"
        if name != "migrate":
            assert "healthcheck" in service, f"{name}: no healthcheck"
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def test_every_mounted_file_exists(compose: dict[str, Any]) -> None:
    mounted = 0
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
                mounted += 1
    assert mounted >= 5
    provisioning = ROOT / "grafana" / "provisioning"
    assert list((provisioning / "datasources").glob("*.yaml"))
    assert list((provisioning / "dashboards").glob("*.yaml"))


def test_grafana_provisioning_matches_the_dashboards(compose: dict[str, Any]) -> None:
    grafana_mounts = dict(
        v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"] if v.startswith(".")
    )
    for path in (ROOT / "grafana" / "provisioning" / "dashboards").glob("*.yaml"):
        for provider in yaml.safe_load(path.read_text())["providers"]:
            assert provider["options"]["path"] in grafana_mounts.values()
    uids = {"prometheus"}
    for path in (ROOT / "grafana" / "provisioning" / "datasources").glob("*.yaml"):
        uids |= {ds["uid"] for ds in yaml.safe_load(path.read_text())["datasources"]}
    titles = set()
    for path in (ROOT / "grafana" / "dashboards").glob("*.json"):
        board = json.loads(path.read_text())
        titles.add(board["title"])
        for panel in board["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] in uids, (path.name, panel["title"])
    assert {"Onsale — live onsale", "Onsale — event"} <= titles


def test_prometheus_files(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert {"onsale-api", "onsale-worker"} <= jobs
    rules = yaml.safe_load((ROOT / "prometheus" / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["annotations"]["summary"], rule["alert"]
            assert rule["annotations"]["runbook"], rule["alert"]
    promtool = shutil.which("promtool")
    if promtool:  # installed with Debian's prometheus package (see test_observability)
        subprocess.run(
            [promtool, "check", "rules", str(ROOT / "prometheus" / "alerts.yml")],
            check=True,
            capture_output=True,
        )


def test_every_charted_metric_is_defined_in_metrics_py() -> None:
    """Names in grafana/ and the alerts are metrics.py's (in-process or live gauges)."""
    import re

    defined = set(metrics.LIVE_GAUGES)
    for value in vars(metrics).values():
        name = getattr(value, "_name", None)
        if isinstance(name, str):
            kind = getattr(value, "_type", "")
            defined.add(name + "_total" if kind == "counter" else name)
            if kind == "histogram":
                defined |= {name + "_bucket", name + "_count", name + "_sum"}
    text = "".join(p.read_text() for p in (ROOT / "grafana" / "dashboards").glob("*.json"))
    text += (ROOT / "prometheus" / "alerts.yml").read_text()
    named = set(re.findall(r"\bonsale_[a-z0-9_]*[a-z0-9]\b", text))
    assert named <= defined, sorted(named - defined)
