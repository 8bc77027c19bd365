"""The hash-tag rule: every key of an event starts with {ev:<id>}, so it lands in one slot."""

from __future__ import annotations

import inspect
import uuid

from app.core import keys


def crc16(data: bytes) -> int:
    """Redis Cluster's CRC16 (XMODEM)."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def slot(key: str) -> int:
    """The cluster slot: of the text inside the first {...} when there is one."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            key = key[start + 1 : end]
    return crc16(key.encode()) % 16384


def event_key_builders() -> dict[str, object]:
    return {
        name: fn
        for name, fn in inspect.getmembers(keys, inspect.isfunction)
        if fn.__module__ == keys.__name__
        and list(inspect.signature(fn).parameters)[:1] == ["event_id"]
        and name != "tag"
    }


def test_every_event_key_carries_the_event_tag_and_shares_one_slot() -> None:
    event_id = str(uuid.uuid4())
    builders = event_key_builders()
    assert len(builders) >= 20
    slots = set()
    for name, fn in builders.items():
        extra = ["x"] * (len(inspect.signature(fn).parameters) - 1)  # type: ignore[arg-type]
        key = fn(event_id, *extra)  # type: ignore[operator]
        assert key.startswith("{ev:" + event_id + "}:"), name
        slots.add(slot(key))
    assert len(slots) == 1


def test_keys_of_no_event_carry_no_tag() -> None:
    for key in (
        keys.live_events(),
        keys.global_idempotency("s", "k"),
        keys.worker_heartbeat(),
        keys.ARQ_QUEUE,
    ):
        assert "{" not in key


def test_every_key_builder_is_distinct() -> None:
    event_id = str(uuid.uuid4())
    built = []
    for fn in event_key_builders().values():
        extra = ["x"] * (len(inspect.signature(fn).parameters) - 1)  # type: ignore[arg-type]
        built.append(fn(event_id, *extra))  # type: ignore[operator]
    assert len(built) == len(set(built))
