"""Writes a benchmark run: report.md, summary.json and PNG plots."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import msgspec

from app.bench.wrk import WrkResult


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB RAM, {platform.platform()}"


def plot(http: dict[str, dict[int, WrkResult]], folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files: list[str] = []
    if not http:
        return files
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, runs in http.items():
        conns = sorted(runs)
        ax.plot(conns, [runs[c].rps for c in conns], marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("connections")
    ax.set_ylabel("requests / s")
    ax.set_title("Throughput per scenario")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "throughput.png", dpi=110)
    plt.close(fig)
    files.append("throughput.png")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, (label, attr) in zip(axes, (("p50", "p50_ms"), ("p99", "p99_ms")), strict=True):
        for name, runs in http.items():
            conns = sorted(runs)
            ax.plot(conns, [getattr(runs[c], attr) for c in conns], marker="o", label=name)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("connections")
        ax.set_title(f"Latency {label} (ms)")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("ms")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(folder / "latency.png", dpi=110)
    plt.close(fig)
    files.append("latency.png")
    return files


def write(
    folder: Path,
    http: dict[str, dict[int, WrkResult]],
    summary: dict[str, Any],
    extra_sections: list[str],
    command: str,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    raw = {
        name: {str(c): msgspec.to_builtins(r) for c, r in runs.items()}
        for name, runs in http.items()
    }
    (folder / "http_runs.json").write_text(json.dumps(raw, indent=2) + "\n")
    images = plot(http, folder)
    lines = [
        "# Onsale benchmark",
        "",
        f"- Command: `{command}`",
        f"- Machine: {machine()}",
        f"- Commit: {_commit()}",
        "- Server: `onsale api --workers 2` (uvicorn, uvloop, httptools); load generator: wrk",
        "",
        "## HTTP scenarios",
        "",
        "| scenario | connections | req/s | p50 ms | p90 ms | p99 ms | non-2xx | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, runs in http.items():
        for c in sorted(runs):
            r = runs[c]
            lines.append(
                f"| {name} | {c} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p90_ms:.2f} | "
                f"{r.p99_ms:.2f} | {r.non_2xx} | {r.errors} |"
            )
    lines += ["", "## Summary (64 connections where it applies)", "", "```json"]
    lines.append(json.dumps(summary, indent=2, sort_keys=True))
    lines += ["```", ""]
    lines += extra_sections
    lines += [f"![{name}]({name})" for name in images]
    (folder / "report.md").write_text("\n".join(lines) + "\n")


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"
