"""Time-ordered identifiers (UUIDv7) shared by every feature."""

from __future__ import annotations

import os
import time
import uuid


def new_id() -> str:
    """A UUIDv7 string: sortable by creation time, unguessable in its random part."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def is_uuid(value: str) -> bool:
    return canonical_uuid(value) is not None


def canonical_uuid(value: str) -> str | None:
    """The one spelling of an id (lower-case, hyphenated), or None when it is not a UUID.

    Every id is compared and stored in this form: "X" == "x" is false for a string, so a
    guard like "not your own account" must never see another spelling of the same id.
    """
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None
