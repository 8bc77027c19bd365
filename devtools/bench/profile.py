"""Profiles the API's workers with py-spy while wrk drives a scenario: flame graph + top frames.

py-spy (PyPI) attaches to running processes by pid (root, or ptrace allowed).
One worker is recorded as a flame graph SVG, the other as raw collapsed stacks,
which are summed here into the share of CPU samples per layer (framework,
redis-py, our middlewares, ...) and the frames with the most own time: the
figures report.md quotes to say what bounds the hold path. Only the main
thread counts (the one serving requests).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Where a CPU sample's time goes: the innermost frame that is in one of these
# places names its layer (stdlib frames count for the library that called them;
# the event loop's own work counts for uvicorn, which runs it).
LAYERS: dict[str, tuple[str, ...]] = {
    "msgspec body decode / encode": ("msgspec",),
    "JWT + admission token + session checks": (
        "app/core/security",
        "waiting_room/tokens",
        "jwt/",
        "app/auth/sessions",
        "app/auth/revocations",
        "app/core/principal",
    ),
    "idempotency middleware": ("app/core/idempotency",),
    "httpobs middleware (request id, metrics, access log)": ("app/core/httpobs",),
    "prometheus_client (metrics)": ("prometheus_client/",),
    "logging": ("logging/", "app/core/logs"),
    "redis-py (the one EVALSHA round trip)": ("redis/",),
    "holds service + controller (keys, ids, response)": ("app/holds/", "app/deps"),
    "litestar (routing, params, responses)": ("litestar/",),
    "uvicorn + httptools + event loop": ("uvicorn/", "asyncio/", "uvloop"),
}
OTHER = "other"

# The same for an arq worker running finalize jobs (devtools/bench/finalize.py).
FINALIZE_LAYERS: dict[str, tuple[str, ...]] = {
    "Stripe SDK (requests, responses, StripeObject)": ("stripe/",),
    "httpx + httpcore (Stripe HTTP client)": ("httpx/", "httpcore/", "h11/", "anyio/"),
    "asyncpg (order transaction, bookkeeping queries)": ("asyncpg/",),
    "redis-py (arq's and our Redis commands)": ("redis/",),
    # On uvloop the loop runs in C: its own time shows in the frame that started it.
    "event loop": ("asyncio/", "uvloop", "Worker.run (arq/"),
    "arq (polling, job bookkeeping)": ("arq/",),
    "finalize + confirm (our code)": ("app/orders/", "app/payments/", "app/holds/"),
    "prometheus_client (metrics)": ("prometheus_client/",),
    "logging": ("logging/", "app/core/logs"),
    "workers (job wrappers)": ("workers/",),
}


def ensure_pyspy() -> str | None:
    """The py-spy binary: on PATH, next to this Python, or installed from PyPI now."""
    found = shutil.which("py-spy") or _beside_python()
    if found:
        return found
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "py-spy"], check=False, capture_output=True
    )
    return shutil.which("py-spy") or _beside_python()


def _beside_python() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else None


def record(
    pids: list[int], folder: Path, duration_s: int, drive: Callable[[], Any]
) -> dict[str, Any] | None:
    """Record while `drive()` runs the load; writes flame.svg (+ profile.txt); a summary."""
    pyspy = ensure_pyspy()
    if pyspy is None or not pids:
        return None
    raw_path = folder / "work" / "profile-raw.txt"
    svg_path = folder / "flame.svg"
    spies = [
        subprocess.Popen(
            [pyspy, "record", "--pid", str(pids[0]), "--duration", str(duration_s),
             "--rate", "200", "--output", str(svg_path), "--format", "flamegraph"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        ),
        subprocess.Popen(
            [pyspy, "record", "--pid", str(pids[-1]), "--duration", str(duration_s),
             "--rate", "200", "--output", str(raw_path), "--format", "raw"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        ),
    ]  # fmt: skip
    load = drive()
    for spy in spies:
        spy.wait(duration_s + 60)
    if not raw_path.exists():
        errors = b"".join(s.stderr.read() if s.stderr else b"" for s in spies)
        raise RuntimeError(f"py-spy wrote no profile: {errors.decode(errors='replace')[-500:]}")
    summary = summarize(raw_path.read_text())
    summary["load"] = load
    summary["flame_graph"] = svg_path.name if svg_path.exists() else None
    (folder / "profile.txt").write_text(render(summary))
    return summary


def summarize(raw: str, layer_map: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """Share of the main thread's CPU samples per layer, and the top own-time frames."""
    layer_map = layer_map or LAYERS
    total = 0
    layers: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        if frames[0].startswith("Thread._bootstrap"):
            continue  # helper threads (log queue listener, executor): not the request path
        count = int(count_text)
        total += count
        layers[_layer(frames, layer_map)] += count
        own[_short(frames[-1])] += count
    if total == 0:
        return {"samples": 0, "layers": {}, "top_own": []}
    return {
        "samples": total,
        "layers": {k: round(100 * v / total, 1) for k, v in layers.most_common()},
        "top_own": [(name, round(100 * n / total, 1)) for name, n in own.most_common(15)],
    }


def _layer(frames: list[str], layer_map: dict[str, tuple[str, ...]]) -> str:
    for frame in reversed(frames):
        for layer, needles in layer_map.items():
            if any(n in frame for n in needles):
                return layer
    return OTHER


def _short(frame: str) -> str:
    """'f (/x/site-packages/litestar/routes/http.py:81)' -> 'f (litestar/routes/http.py)'."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if path else name


class Spies:
    """py-spy recording processes by pid, for as long as a block runs (raw stacks, summed)."""

    def __init__(self, pids: list[int], folder: Path, name: str) -> None:
        pyspy = ensure_pyspy()
        self.paths = [folder / f"{name}-{pid}.txt" for pid in pids]
        self.spies: list[subprocess.Popen[bytes]] = []
        for pid, path in zip(pids, self.paths, strict=True):
            if pyspy is None:
                break
            # Blocking sampling (the default): py-spy then tells a thread waiting in
            # epoll from one running; --nonblocking counted idle waits as CPU.
            args = [pyspy, "record", "--pid", str(pid), "--rate", "200",
                    "--output", str(path), "--format", "raw"]  # fmt: skip
            self.spies.append(
                subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )

    def stop(self, layer_map: dict[str, tuple[str, ...]]) -> dict[str, Any] | None:
        """Stop recording (py-spy writes on SIGINT); the summary over every pid."""
        for spy in self.spies:
            spy.send_signal(signal.SIGINT)
        for spy in self.spies:
            spy.wait(60)
        raw = "\n".join(p.read_text() for p in self.paths if p.exists())
        return summarize(raw, layer_map) if raw else None


def render(summary: dict[str, Any]) -> str:
    lines = [f"samples (CPU, one worker): {summary['samples']}", "", "share of samples by layer:"]
    lines += [f"  {pct:5.1f} %  {name}" for name, pct in summary["layers"].items()]
    lines += ["", "top frames by own time:"]
    lines += [f"  {pct:5.1f} %  {name}" for name, pct in summary["top_own"]]
    return "\n".join(lines) + "\n"
