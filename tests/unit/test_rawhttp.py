"""The simulator's HTTP client (devtools/rawhttp.py): correct on keep-alive, chunked and closed
connections, and cheap: at least 3,000 requests per second of its own CPU.

The server is a bare asyncio HTTP responder in its own process, so the CPU
measured here is the client's alone (the process's CPU time, which a busy
neighbour on the machine barely moves).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from devtools import rawhttp

SERVER = r"""
import asyncio, sys

BODY = b'{"state":"waiting","position":12345,"ahead":12344,"poll_after_s":5}'
FIXED = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
         % len(BODY)) + BODY
CHUNKED = (b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n"
           b"7\r\n{\"a\": 1\r\n1\r\n}\r\n0\r\n\r\n")
CLOSE = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}"

class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                return
            self.buffer = rest[length:]
            path = head.split(b" ")[1]
            if path == b"/chunked":
                self.transport.write(CHUNKED)
            elif path == b"/close":
                self.transport.write(CLOSE)
                self.transport.close()
            elif path == b"/hang-up":
                self.transport.close()
            else:
                self.transport.write(FIXED)

async def main():
    server = await asyncio.get_running_loop().create_server(Echo, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


async def test_keep_alive_chunked_and_closed_connections(base_url: str) -> None:
    pool = rawhttp.Pool(base_url, 2)
    try:
        r, latency = await pool.request("GET", "/queue", {"Authorization": "Bearer x"})
        assert (r.status_code, r.json()["position"]) == (200, 12345)
        assert latency > 0
        r, _ = await pool.request("POST", "/chunked", json={"section": "FLOOR", "quantity": 2})
        assert (r.status_code, r.json()) == (201, {"a": 1})
        # One connection served both (kept alive); a `connection: close` answer is read
        # whole and its connection dropped; the next request opens a new one.
        assert pool.opened == 1
        r, _ = await pool.request("GET", "/close")
        assert (r.status_code, r.json()) == (200, {})
        r, _ = await pool.request("GET", "/queue")
        assert r.status_code == 200
        assert pool.opened == 2
        # A connection the server drops without an answer is a TransportError (the caller
        # may send again), never a hang.
        with pytest.raises(rawhttp.TransportError):
            await pool.request("GET", "/hang-up")
        r, _ = await pool.request("GET", "/queue")
        assert r.status_code == 200
    finally:
        pool.close()


async def test_a_request_without_a_server_is_a_transport_error() -> None:
    pool = rawhttp.Pool(f"http://127.0.0.1:{_free_port()}", 1)
    with pytest.raises(rawhttp.TransportError):
        await pool.request("GET", "/")


async def test_the_client_sends_3000_requests_per_second_of_its_own_cpu(base_url: str) -> None:
    pool = rawhttp.Pool(base_url, 50)
    headers = {"Authorization": "Bearer " + "x" * 272}
    n = 20_000

    async def worker(count: int) -> None:
        for _ in range(count):
            r, _ = await pool.request("GET", "/api/v1/events/e/queue", headers)
            r.json()

    try:
        await asyncio.gather(*(worker(100) for _ in range(50)))  # connections open, warm
        cpu0, wall0 = time.process_time(), time.monotonic()
        await asyncio.gather(*(worker(n // 50) for _ in range(50)))
        cpu = time.process_time() - cpu0
        wall = time.monotonic() - wall0
    finally:
        pool.close()
    per_cpu_s = n / cpu
    print(f"{per_cpu_s:,.0f} requests per CPU second ({n / wall:,.0f}/s wall)")
    assert per_cpu_s >= 3000, f"{per_cpu_s:,.0f} requests per CPU second"
