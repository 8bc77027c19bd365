"""Runs wrk (Debian's package, installed when missing) and parses its Lua-JSON summary.

Requests come from a file prepared by the scenario, one per line:
``METHOD<TAB>PATH<TAB>HEADER: V||HEADER: V<TAB>BODY``; wrk cycles through
them. Each request also gets a unique ``Idempotency-Key`` when the line asks
for one with the header value ``@unique``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import msgspec

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


def ensure_wrk() -> str:
    """The wrk binary; installs Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
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


def run_wrk(
    base_url: str,
    requests_file: Path,
    *,
    connections: int,
    duration_s: int,
    threads: int = 2,
    timeout_s: int = 10,
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
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=duration_s + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
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
    )
