"""The hiredis packer sends exactly the bytes redis-py's own packer would (app.core.redis)."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from app.core.redis import PackedConnection

COMMANDS: list[tuple[Any, ...]] = [
    ("EVALSHA", "a" * 40, 2, "{ev:1}:meta", "{ev:1}:inv", 1733572800000, "FLOOR", 2, ""),
    ("SET", "k", "é ü 🎫", "EX", 960),
    ("CONFIG GET", "maxmemory"),  # a command name of two words goes out as two arguments
    (b"CLIENT SETNAME", b"onsale"),
    ("ZADD", "z", 1.5, "m", 0.1, "n", 1e20, "o", -7, "p"),
    ("SET", b"\x00\xff raw bytes", 10**20),
    ("XADD", "feed", "MINID", "~", "1733572800000-0", "*", "sid", "abc"),
]


@pytest.mark.parametrize("args", COMMANDS)
def test_packs_the_same_bytes_as_redis_py(args: tuple[Any, ...]) -> None:
    fast, plain = PackedConnection(), Connection()
    assert b"".join(fast.pack_command(*args)) == b"".join(plain.pack_command(*args))


def test_pipelines_pack_the_same_bytes() -> None:
    fast, plain = PackedConnection(), Connection()
    assert b"".join(fast.pack_commands(COMMANDS)) == b"".join(plain.pack_commands(COMMANDS))


@pytest.mark.parametrize("bad", [True, None, object()])
def test_what_redis_py_refuses_is_refused(bad: Any) -> None:
    with pytest.raises(DataError):
        PackedConnection().pack_command("SET", "k", bad)


def test_a_memoryview_is_packed_by_redis_py() -> None:
    fast, plain = PackedConnection(), Connection()
    view = memoryview(b"payload")
    assert b"".join(fast.pack_command("SET", "k", view)) == b"".join(
        plain.pack_command("SET", "k", view)
    )
