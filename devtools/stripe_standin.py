"""The Stripe stand-in (localstripe) with Stripe's test cards behaving as on Stripe.

localstripe declines 4000 0000 0000 0002 and the other "declined" test cards only when
a card is attached to a customer. The fan app's card flow never attaches one (it sends
a tokenized card straight to the PaymentIntent), so in dev those cards paid, and an
organizer testing declines was misled. Here a charge with any of Stripe's decline test
cards fails the way Stripe's does: `card_declined` with the card's `decline_code` and
message, whatever the flow. (4000 0027 6000 3184 and the other 3-D Secure cards already
ask for authentication in every flow.)

Run as ``python -m devtools.stripe_standin --port N --from-scratch``; it also keeps the
store in memory only: localstripe pickles its whole store to /tmp/localstripe.pickle on
every write (O(n) per write, shared by every localstripe on the machine) and reloads it
at start.
"""

from __future__ import annotations

from typing import Any

# Stripe's decline test cards: number → (decline_code, the message Stripe gives the payer).
# https://docs.stripe.com/testing#declined-payments
DECLINES: dict[str, tuple[str, str]] = {
    "4000000000000002": ("generic_decline", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": ("lost_card", "Your card was declined."),
    "4000000000009979": ("stolen_card", "Your card was declined."),
    "4000000000000069": ("expired_card", "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000000119": ("processing_error", "An error occurred while processing your card."),
    "4242424242424241": ("incorrect_number", "Your card number is incorrect."),
}


def decline_of(card_number: str | None) -> tuple[str, str] | None:
    """Stripe's decline for a test card number, or None for a card that pays."""
    return DECLINES.get(card_number or "")


def patch(resources: Any) -> None:
    """Make localstripe's charges decline Stripe's decline test cards, in every flow."""
    method_cls = resources.PaymentMethod
    charge_cls = resources.Charge
    declined_before = method_cls._charging_is_declined

    def charging_is_declined(self: Any) -> bool:
        number = getattr(self, "_card_number", None) if self.type == "card" else None
        return bool(declined_before(self)) or decline_of(number) is not None

    method_cls._charging_is_declined = charging_is_declined

    def set_auth_failure(self: Any) -> None:
        self.status = "failed"
        self.failure_code = "card_declined"
        source = method_cls._api_retrieve(self.payment_method)
        decline = decline_of(getattr(source, "_card_number", None))
        self._decline_code, self.failure_message = decline or (
            "generic_decline",
            "Your card was declined.",
        )

    def raise_failure(self: Any) -> None:
        error = resources.UserError(
            402,
            self.failure_message,
            {
                "code": self.failure_code,
                "decline_code": getattr(self, "_decline_code", "generic_decline"),
                "charge": self.id,
            },
        )
        error.body["error"]["type"] = "card_error"
        raise error

    charge_cls._set_auth_failure = set_auth_failure
    charge_cls._raise_failure = raise_failure
    resources.Store.dump_to_disk = lambda self: None


def main() -> None:
    import localstripe.resources as resources
    from localstripe.server import start

    patch(resources)
    start()


if __name__ == "__main__":
    main()
