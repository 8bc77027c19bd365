"""The whole test suite: the main pass and the Redis Cluster pass side by side.

    python -m devtools.suite                 # both passes, as .ci/run runs them
    python -m devtools.suite --workers 2     # fewer parallel workers for the main pass
    python -m devtools.suite -- -k holds     # extra pytest arguments for both passes

The main pass spreads the tests over pytest-xdist workers; each worker starts its own
embedded Valkey, PostgreSQL (one migrated template, a database cloned per test) and
localstripe, so workers share no state. The cluster pass runs the Redis suites again on a
local three-master cluster, in its own pytest process beside the main pass: most of a test's
time is spent waiting on servers, so the two passes overlap well on two cores.

Each pass writes its output to a log file (printed whole when the pass fails, its summary
otherwise) and a JUnit XML file; the runner prints a progress line while they run, the time
of each pass, the 10 slowest tests and one closing line with the totals.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The Redis suites that run again on the cluster (every test that touches a Lua script or a
# Redis key layout through the API).
CLUSTER_TESTS = [
    "tests/lua",
    "tests/integration/test_holds.py",
    "tests/integration/test_holds_lifecycle.py",
    "tests/integration/test_seating.py",
    "tests/integration/test_queue.py",
    "tests/integration/test_queue_live.py",
    "tests/integration/test_queue_tokens.py",
    "tests/integration/test_room.py",
    "tests/integration/test_phase_rooms.py",
    "tests/integration/test_phase_boundaries.py",
    "tests/integration/test_checkout.py",
    "tests/integration/test_cluster.py",
    "tests/integration/test_nginx.py",
]
# Mostly waiting on servers, so more workers than cores keeps both cores busy; each worker
# costs ~150 MB and its own embedded servers.
DEFAULT_WORKERS = 4


@dataclass
class Pass:
    name: str
    args: list[str]
    folder: Path
    started: float = 0.0
    ended: float = 0.0
    proc: subprocess.Popen[bytes] | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        return self.folder / f"{self.name}.log"

    @property
    def junit(self) -> Path:
        return self.folder / f"{self.name}.xml"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={self.junit}",
            *self.args,
        ]
        self.started = time.monotonic()
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    def poll(self) -> int | None:
        assert self.proc is not None
        code = self.proc.poll()
        if code is not None and not self.ended:
            self.ended = time.monotonic()
        return code

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def done_so_far(self) -> int:
        """Tests finished so far, from pytest's progress dots (one character per test)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        lines = [line for line in text.splitlines() if line and line[0] in ".FEsxX"]
        return sum(sum(ch in ".FEsxX" for ch in line.split(" [")[0]) for line in lines)


def read_junit(path: Path) -> tuple[dict[str, int], list[tuple[float, str]]]:
    """Totals (passed, failed, errors, skipped) and each test's duration."""
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    durations: list[tuple[float, str]] = []
    if not path.exists():
        return counts, durations
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        durations.append((float(case.get("time", "0")), name))
        if case.find("failure") is not None:
            counts["failed"] += 1
        elif case.find("error") is not None:
            counts["errors"] += 1
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts, durations


def summary_of(log: Path, lines: int = 40) -> str:
    text = log.read_text(errors="replace").splitlines()
    # From pytest's short test summary (or its last lines when there is none).
    for i, line in enumerate(text):
        if "short test summary info" in line:
            return "\n".join(text[i:])
    return "\n".join(text[-lines:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.suite",
        description="Run the whole suite: the main pass and the Redis Cluster pass side by side.",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("ONSALE_TEST_WORKERS", DEFAULT_WORKERS)),
        help=f"pytest-xdist workers for the main pass (default {DEFAULT_WORKERS}, "
        "or ONSALE_TEST_WORKERS)",
    )
    parser.add_argument("--no-cluster", action="store_true", help="skip the cluster pass")
    parser.add_argument("--logs", type=Path, help="folder for the logs (default: a temp folder)")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args(argv)

    folder = args.logs or Path(tempfile.mkdtemp(prefix="onsale-suite-"))
    folder.mkdir(parents=True, exist_ok=True)
    extra = list(args.pytest_args)
    # worksteal: a worker that runs out takes queued tests from the others, so the pass does
    # not end with one worker working through a queue of slow browser tests alone.
    passes = [Pass("main", ["-n", str(args.workers), "--dist", "worksteal", *extra], folder)]
    if not args.no_cluster:
        # Two workers, each with its own local cluster (six Valkey processes and arq's own).
        cluster_args = ["-n", "2", "--dist", "worksteal", "--redis-cluster", *CLUSTER_TESTS]
        passes.append(Pass("cluster", [*cluster_args, *extra], folder))
    print(f"== suite: {', '.join(p.name for p in passes)} pass side by side; logs in {folder}")
    for each in passes:
        each.start()
    last_report = time.monotonic()
    # Poll every pass each turn (not any(): it would stop at the first one still running,
    # and a pass that ended meanwhile would get the later pass's end time).
    while None in [p.poll() for p in passes]:
        time.sleep(1)
        if time.monotonic() - last_report >= 60:
            last_report = time.monotonic()
            state = "; ".join(
                f"{p.name}: {p.done_so_far()} tests done"
                + (f", finished in {p.seconds:.0f} s" if p.ended else f", {p.seconds:.0f} s")
                for p in passes
            )
            print(f"   {state}", flush=True)

    totals = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    durations: list[tuple[float, str]] = []
    failed = False
    for each in passes:
        counts, times = read_junit(each.junit)
        each.counts = counts
        for key in totals:
            totals[key] += counts[key]
        durations += [(t, f"[{each.name}] {n}") for t, n in times]
        code = each.poll()
        # pytest's 5 is "no tests collected": a pass that ran nothing has failed too.
        bad = code != 0
        failed |= bad
        print(f"\n== {each.name} pass: exit {code}, {each.seconds:.0f} s ({each.log})")
        print(each.log.read_text(errors="replace") if bad else summary_of(each.log))

    print("\n== the 10 slowest tests")
    for seconds, name in sorted(durations, reverse=True)[:10]:
        print(f"{seconds:8.1f} s  {name}")
    print("\n== pass times: " + ", ".join(f"{p.name} {p.seconds:.0f} s" for p in passes))
    failures = totals["failed"] + totals["errors"]
    print(f"suite: {totals['passed']} passed, {failures} failed, {totals['skipped']} skipped")
    return 1 if failed or failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
