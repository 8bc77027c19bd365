"""Runs wrk (Debian's package, installed when missing) and parses its Lua-JSON summary.

Requests come from a file prepared by the scenario, one per line:
``METHOD<TAB>PATH<TAB>HEADER: V||HEADER: V<TAB>BODY``; wrk cycles through
them. Each request also gets a unique ``Idempotency-Key`` when the line asks
for one with the header value ``@unique``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from devtools import debian

WRK_SCRIPT = r"""
local lines = {}
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

local function split(s, sep)
  local out = {}
  local start = 1
  while true do
    local i, j = string.find(s, sep, start, true)
    if not i then table.insert(out, string.sub(s, start)); break end
    table.insert(out, string.sub(s, start, i - 1))
    start = j + 1
  end
  return out
end

function init(args)
  local path = args[1]
  for line in io.lines(path) do
    local f = split(line, "\t")
    local headers = {}
    if f[3] ~= nil and f[3] ~= "" then
      for _, h in ipairs(split(f[3], "||")) do
        local k, v = string.match(h, "^([^:]+):%s*(.*)$")
        if k then headers[k] = v end
      end
    end
    table.insert(lines, {method = f[1], path = f[2], headers = headers, body = f[4]})
  end
end

function request()
  counter = counter + 1
  local r = lines[((counter - 1) % #lines) + 1]
  local headers = {}
  for k, v in pairs(r.headers) do
    if v == "@unique" then v = tid .. "-" .. counter .. "-" .. math.random(1, 1000000000) end
    headers[k] = v
  end
  local body = r.body
  if body == "" then body = nil end
  -- A seat no other request of the run names: <thread>x<request number of the thread>.
  if body and string.find(body, "@seat", 1, true) then
    body = string.gsub(body, "@seat", tid .. "x" .. counter)
  end
  return wrk.format(r.method, r.path, headers, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


class WrkResult(msgspec.Struct):
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    non_2xx: int
    # CPU the server's worker processes spent during the run, per request (µs), and
    # each worker's share of it: less sensitive to a noisy neighbour than req/s.
    cpu_us_per_request: float | None = None
    cpu_share_per_worker: list[float] | None = None
    # Open connections from wrk per server worker, counted 1 s into the run.
    connections_per_worker: list[int] | None = None


def ensure_wrk() -> str:
    """The wrk binary; installs Debian's package when it is missing."""
    return debian.ensure("wrk", "wrk")
    subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return found


def write_requests(lines: list[tuple[str, str, dict[str, str], str]], folder: Path) -> Path:
    path = Path(tempfile.mkstemp(prefix="wrk-", suffix=".tsv", dir=folder)[1])
    with path.open("w") as out:
        for method, url_path, headers, body in lines:
            header_text = "||".join(f"{k}: {v}" for k, v in headers.items())
            out.write(f"{method}\t{url_path}\t{header_text}\t{body}\n")
    return path


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def tree_cpu_seconds(pids: list[int]) -> float:
    """CPU so far of these processes, everything living below them, and their reaped
    children (a Postgres backend that exited is in the postmaster's cutime)."""
    from devtools.bench.stack import descendants

    total = 0.0
    for root in pids:
        try:
            fields = Path(f"/proc/{root}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[13]) + int(fields[14])) / _CLK_TCK
        total += sum(cpu_seconds(pid) for pid in descendants(root))
    return total


def connections_per_pid(port: int, pids: list[int]) -> list[int]:
    """Established connections on the server's `port` owned by each pid (from `ss`)."""
    out = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [len(re.findall(rf"pid={pid},", out)) for pid in pids]


def run_wrk(
    base_url: str,
    requests_file: Path,
    *,
    connections: int,
    duration_s: int,
    threads: int = 2,
    timeout_s: int = 10,
    server_pids: list[int] | None = None,
) -> WrkResult:
    wrk = ensure_wrk()
    script = requests_file.with_suffix(".lua")
    script.write_text(WRK_SCRIPT)
    cmd = [
        wrk,
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{duration_s}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(script),
        base_url,
        "--",
        str(requests_file),
    ]
    pids = server_pids or []
    cpu_before = [cpu_seconds(p) for p in pids]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    spread: list[int] | None = None
    if pids and duration_s >= 2:
        time.sleep(1)
        spread = connections_per_pid(urlsplit(base_url).port or 80, pids)
    stdout, stderr = proc.communicate(timeout=duration_s + 60)
    cpu = [cpu_seconds(p) - b for p, b in zip(pids, cpu_before, strict=True)]
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{stdout}\n{stderr}")
    line = next((ln for ln in stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{stdout}\n{stderr}")
    data = json.loads(line.removeprefix("WRKJSON "))
    duration = data["duration_us"] / 1e6
    errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return WrkResult(
        requests=data["requests"],
        duration_s=duration,
        rps=data["requests"] / duration if duration else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=errors,
        non_2xx=data["status"],
        cpu_us_per_request=round(sum(cpu) / data["requests"] * 1e6, 1)
        if pids and data["requests"]
        else None,
        cpu_share_per_worker=[round(c / sum(cpu), 3) for c in cpu] if pids and sum(cpu) else None,
        connections_per_worker=spread,
    )
