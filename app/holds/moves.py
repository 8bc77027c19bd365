"""The Lua scripts of a ticket's moves after the sale (transfer, resale) behind typed methods.

A transfer moves one seat between two accounts' per-user counts
(transfer_seat.lua); a resale listing puts its seat back on sale and a
withdrawal takes it back (list_resale.lua, withdraw_resale.lua); a resold
ticket leaves its seller's count (settle_resale.lua). A reserved seat moves
with its listing: free on the map while listed, sold by the seller's hold
again when withdrawn, so the counters stay the section's seats. Seats never
change hands inside Redis otherwise, so `available + held + sold = capacity`
holds at every step, per section and per seat; each call is idempotent on its
move's id.
"""

from __future__ import annotations

from enum import IntEnum

from app.core import keys
from app.core.scripts import Scripts


class Transferred(IntEnum):
    """Return codes of lua/transfer_seat.lua."""

    MOVED = 1
    ALREADY = 0
    LIMIT_PER_USER = 2
    NO_EVENT = -4


class Listed(IntEnum):
    """Return codes of lua/list_resale.lua."""

    LISTED = 1
    ALREADY = 0
    DRIFT = -1


class Withdrawn(IntEnum):
    """Return codes of lua/withdraw_resale.lua."""

    WITHDRAWN = 1
    NOT_LISTED = 0
    IN_CHECKOUT = 2


class MoveScripts:
    """The move scripts of one Redis client."""

    def __init__(self, scripts: Scripts) -> None:
        self._scripts = scripts
        self._transfer = scripts.get("transfer_seat")
        self._list = scripts.get("list_resale")
        self._withdraw = scripts.get("withdraw_resale")
        self._settle = scripts.get("settle_resale")

    async def transfer(
        self, event_id: str, move_id: str, from_user: str, to_user: str, seats: int = 1
    ) -> tuple[Transferred, int]:
        code, n1 = await self._scripts.call(
            self._transfer,
            [keys.event_meta(event_id), keys.user_seats(event_id), keys.moves_done(event_id)],
            [move_id, from_user, to_user, seats],
        )
        return Transferred(int(code)), int(n1)

    def _listing_keys(self, event_id: str) -> list[str]:
        return [
            keys.inventory(event_id),
            keys.resale_listed(event_id),
            keys.seat_states(event_id),
            keys.seat_rows(event_id),
        ]

    async def list(self, event_id: str, listing_id: str, section: str, seat: str = "") -> Listed:
        """`seat`: the ticket's reserved seat ('' for general admission)."""
        out = await self._scripts.call(
            self._list, self._listing_keys(event_id), [listing_id, section, seat]
        )
        return Listed(int(out))

    async def withdraw(
        self, event_id: str, listing_id: str, section: str, seat: str = "", seller_hold: str = ""
    ) -> Withdrawn:
        """`seat`: the listed reserved seat ('' for general admission), sold again by
        `seller_hold` (the hold the seller bought it with)."""
        out = await self._scripts.call(
            self._withdraw, self._listing_keys(event_id), [listing_id, section, seat, seller_hold]
        )
        return Withdrawn(int(out))

    async def settle(self, event_id: str, listing_id: str, seller_id: str) -> bool:
        """The resold ticket leaves its seller's count; False: settled before."""
        out = await self._scripts.call(
            self._settle,
            [keys.user_seats(event_id), keys.resale_listed(event_id), keys.moves_done(event_id)],
            [listing_id, seller_id],
        )
        return int(out) == 1


def move_scripts(scripts: Scripts) -> MoveScripts:
    return scripts.view(MoveScripts)
