"""The kinds of outbox messages, who receives them, and the integrator topic of each."""

from __future__ import annotations

ORDER_CONFIRMED = "order_confirmed"
ORDER_REFUNDED = "order_refunded"
ORDER_CANCELLED = "order_cancelled"
YOUR_TURN = "your_turn"
HOLD_NUDGE = "hold_nudge"
EVENT_REMINDER = "event_reminder"
SALE_SOLD_OUT = "sale_sold_out"
WAITLIST_OFFER = "waitlist_offer"
# Account messages: to the account's address only, whatever the channel preferences.
PASSWORD_RESET = "password_reset"
EMAIL_VERIFY = "email_verify"
ACCOUNT_EXISTS = "account_exists"
ACCOUNT_KINDS = frozenset({PASSWORD_RESET, EMAIL_VERIFY, ACCOUNT_EXISTS})
TRANSFER_OFFERED = "ticket_transfer_offered"
TRANSFER_ACCEPTED = "ticket_transfer_accepted"
TICKET_RECEIVED = "ticket_received"
RESALE_SOLD = "resale_sold"
# A registration draw's winner (or a fan the list reached): the access code and its window.
DRAW_WON = "draw_won"
# The rest of a draw's registrants: on the list for codes that go unused (with their place),
# or set aside as another account of a person who registered first ("not this time").
DRAW_LISTED = "draw_listed"
DRAW_NOT_DRAWN = "draw_not_drawn"
# An invitation into an organization's team: to the invited address (which may have no
# account yet), in the language the payload names.
ORG_INVITATION = "org_invitation"

# Messages to the fan named by the payload's user_id (over the channels they chose).
FAN_KINDS = frozenset(
    {
        ORDER_CONFIRMED,
        ORDER_REFUNDED,
        ORDER_CANCELLED,
        YOUR_TURN,
        HOLD_NUDGE,
        EVENT_REMINDER,
        WAITLIST_OFFER,
        *ACCOUNT_KINDS,
        TRANSFER_OFFERED,
        TRANSFER_ACCEPTED,
        TICKET_RECEIVED,
        RESALE_SOLD,
        DRAW_WON,
        DRAW_LISTED,
        DRAW_NOT_DRAWN,
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
