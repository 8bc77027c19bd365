"""What a fan buys with one hold: written once, read back from the PaymentIntent's metadata.

Checkout builds a Purchase from the hold and stores it in the PaymentIntent's
metadata; the finalize job reads it back from there (the hold may be gone by
then). One order per hold: its id is derived from the hold id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.holds.record import HoldRecord
from app.payments.gateway import Intent

ORDER_NAMESPACE = uuid.UUID("5f0c3a52-8d4e-4f7b-9a57-0e5a1d2c9b11")


def order_id_for(hold_id: str) -> str:
    """One order per hold, whatever number of checkouts or jobs ran for it."""
    return str(uuid.uuid5(ORDER_NAMESPACE, hold_id))


@dataclass(frozen=True)
class Purchase:
    hold_id: str
    event_id: str
    order_id: str
    user_id: str
    section: str
    quantity: int
    amount_cents: int
    currency: str
    seats: tuple[str, ...] = ()  # a seated hold's seat ids, one per ticket
    lines: str = ""  # the hold's lines by ticket type, 'TYPE:q:amount,...' ('' = none)

    def ticket_types(self) -> list[str]:
        """The type of each ticket, in the order of the lines ('' each without types)."""
        out: list[str] = []
        for item in self.lines.split(","):
            parts = item.split(":")
            if len(parts) >= 2 and parts[1].isdigit():
                out += [parts[0]] * int(parts[1])
        return out if len(out) == self.quantity else [""] * self.quantity

    @classmethod
    def of_hold(cls, hold: HoldRecord) -> Purchase:
        return cls(
            hold_id=hold.hold_id,
            event_id=hold.event_id,
            order_id=order_id_for(hold.hold_id),
            user_id=hold.user_id,
            section=hold.section,
            quantity=hold.quantity,
            amount_cents=hold.amount_cents,
            currency=hold.currency,
            seats=tuple(s for s in hold.seats.split(",") if s),
            lines=hold.lines,
        )

    def metadata(self) -> dict[str, str]:
        """The PaymentIntent metadata `of_intent` reads back (amount and currency are its own)."""
        return {
            "hold_id": self.hold_id,
            "event_id": self.event_id,
            "order_id": self.order_id,
            "user_id": self.user_id,
            "section": self.section,
            "quantity": str(self.quantity),
            **({"seats": ",".join(self.seats)} if self.seats else {}),
            **({"lines": self.lines} if self.lines else {}),
        }

    @classmethod
    def of_intent(cls, intent: Intent) -> Purchase | None:
        """What the PaymentIntent says was bought; None for one Onsale did not create."""
        md = intent.metadata
        try:
            return cls(
                hold_id=md["hold_id"],
                event_id=md["event_id"],
                order_id=md["order_id"],
                user_id=md["user_id"],
                section=md["section"],
                quantity=int(md["quantity"]),
                amount_cents=intent.amount,
                currency=intent.currency,
                seats=tuple(s for s in md.get("seats", "").split(",") if s),
                lines=md.get("lines", ""),
            )
        except (KeyError, ValueError):
            return None
