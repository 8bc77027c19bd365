"""Bodies of the standalone room's API."""

from __future__ import annotations

from typing import Literal

import msgspec


class RoomStatus(msgspec.Struct):
    """A fan's standing in the room: `through` (a pass cookie came with this answer: go on to
    `next`), or waiting at `position` with `ahead` people before them and `eta_s` (null when
    the inlet is shut while the origin struggles)."""

    state: Literal["open", "queueing", "draining"]
    through: bool
    position: int | None
    ahead: int | None
    eta_s: int | None
    poll_after_s: int
