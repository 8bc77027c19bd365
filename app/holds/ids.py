"""Hold ids carry their event, so any hold is found in Redis without a lookup.

Format: ``h`` + the event's UUID as 32 hex digits + 16 random hex digits.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

_LEN = 1 + 32 + 16


@lru_cache(maxsize=1024)
def _event_hex(event_id: str) -> str:
    return uuid.UUID(event_id).hex


def new_hold_id(event_id: str) -> str:
    # os.urandom is what secrets.token_hex draws from, without its layers.
    return "h" + _event_hex(event_id) + os.urandom(8).hex()


def event_of_hold(hold_id: str) -> str | None:
    """The event id inside a hold id, or None when it is not a hold id at all."""
    if len(hold_id) != _LEN or not hold_id.startswith("h"):
        return None
    try:
        int(hold_id[1:], 16)
        return str(uuid.UUID(hex=hold_id[1:33]))
    except ValueError:
        return None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def event_of_path(path_params: Mapping[str, Any]) -> str | None:
    """The event a request path names: `event_id`, or the event inside `hold_id`."""
    event_id = path_params.get("event_id")
    if isinstance(event_id, uuid.UUID):  # parsed at the edge ({event_id:uuid}): canonical
        return str(event_id)
    if isinstance(event_id, str):
        return str(uuid.UUID(event_id)) if _is_uuid(event_id) else None
    hold_id = path_params.get("hold_id")
    return event_of_hold(hold_id) if isinstance(hold_id, str) else None
