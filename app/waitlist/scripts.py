"""The waiting-list Lua scripts behind typed methods: KEYS built here, codes as enums."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from app.core import keys
from app.core.scripts import Scripts
from app.holds.scripts import HOLD_RECORD_TTL_MS

# At most this many waiting fans are examined for one offer (bounds the script's run time).
MAX_EXAMINE = 200


class Joined(IntEnum):
    """Return codes of lua/waitlist_join.lua."""

    JOINED = 1
    ALREADY = 0
    SEATS_AVAILABLE = 2
    LIMIT_PER_ORDER = 3
    LIMIT_PER_USER = 4
    NO_SUCH_SECTION = 5
    SALE_OVER = 6
    NO_EVENT = -4


class Offered(IntEnum):
    """Return codes of lua/offer_seats.lua."""

    OFFERED = 1
    NONE = 0
    CLOSED = 2
    ROOM_FIRST = 3
    NO_EVENT = -4


@dataclass(frozen=True)
class Offer:
    code: Offered
    user_id: str
    hold_id: str
    section: str
    quantity: int
    expires_at_ms: int


class WaitlistScripts:
    """lua/waitlist_join.lua and lua/offer_seats.lua of one Redis client."""

    def __init__(self, scripts: Scripts) -> None:
        self._scripts = scripts
        self._join = scripts.get("waitlist_join")
        self._offer = scripts.get("offer_seats")

    async def join(
        self, event_id: str, user_id: str, section: str, quantity: int, now: int
    ) -> tuple[Joined, int]:
        code, n1 = await self._scripts.call(
            self._join,
            [
                keys.event_meta(event_id),
                keys.inventory(event_id),
                keys.user_seats(event_id),
                keys.waitlist_line(event_id),
                keys.waitlist_wants(event_id),
                keys.waitlist_offers(event_id),
                keys.waitlist_state(event_id),
            ],
            [now, user_id, section, quantity],
        )
        return Joined(int(code)), int(n1)

    async def offer(self, event_id: str, hold_id: str, offer_ms: int, now: int) -> Offer:
        """One offer to the first waiting fan whose request fits the seats now available
        (in a seated section: a block of free seats side by side, which the offer names)."""
        fields: list[str] = await self._scripts.redis.hkeys(keys.inventory(event_id))  # type: ignore[misc]
        sections = sorted(f.removesuffix(":capacity") for f in fields if f.endswith(":capacity"))
        raw = await self._scripts.call(
            self._offer,
            [
                keys.event_meta(event_id),
                keys.inventory(event_id),
                keys.user_seats(event_id),
                keys.waitlist_line(event_id),
                keys.waitlist_wants(event_id),
                keys.waitlist_offers(event_id),
                keys.hold(event_id, hold_id),
                keys.hold_expiry(event_id),
                keys.hold_ends(event_id),
                keys.waitlist_unnotified(event_id),
                keys.queue_line(event_id),
                keys.queue_comeback(event_id),
                keys.seat_states(event_id),
                keys.seat_rows(event_id),
                *(keys.seat_plan(event_id, code) for code in sections),
            ],
            [now, event_id, hold_id, offer_ms, MAX_EXAMINE, HOLD_RECORD_TTL_MS, *sections],
        )
        code, user_id, hold, section, quantity, expires = raw
        return Offer(
            Offered(int(code)),
            _text(user_id),
            _text(hold),
            _text(section),
            int(quantity),
            int(expires),
        )


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def waitlist_scripts(scripts: Scripts) -> WaitlistScripts:
    return scripts.view(WaitlistScripts)
