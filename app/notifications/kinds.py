"""The kinds of outbox messages, who receives them, and the integrator topic of each."""

from __future__ import annotations

ORDER_CONFIRMED = "order_confirmed"
ORDER_REFUNDED = "order_refunded"
ORDER_CANCELLED = "order_cancelled"
YOUR_TURN = "your_turn"
HOLD_NUDGE = "hold_nudge"
EVENT_REMINDER = "event_reminder"
SALE_SOLD_OUT = "sale_sold_out"
TRANSFER_OFFERED = "ticket_transfer_offered"
TRANSFER_ACCEPTED = "ticket_transfer_accepted"
TICKET_RECEIVED = "ticket_received"
RESALE_SOLD = "resale_sold"

# Messages to the fan named by the payload's user_id (over the channels they chose).
FAN_KINDS = frozenset(
    {
        ORDER_CONFIRMED,
        ORDER_REFUNDED,
        ORDER_CANCELLED,
        YOUR_TURN,
        HOLD_NUDGE,
        EVENT_REMINDER,
        TRANSFER_OFFERED,
        TRANSFER_ACCEPTED,
        TICKET_RECEIVED,
        RESALE_SOLD,
    }
)

# Integrator webhook topics (organizer-configured receivers).
TOPIC_OF_KIND = {
    ORDER_CONFIRMED: "order.confirmed",
    ORDER_REFUNDED: "order.refunded",
    SALE_SOLD_OUT: "sale.sold_out",
}
TOPICS = frozenset(TOPIC_OF_KIND.values())

CHANNELS = ("email", "sms", "push", "webhook")
