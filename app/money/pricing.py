"""What a fan pays: ticket prices, booking fees and tax, to the minor unit; pure arithmetic.

Every amount is an integer in the currency's minor unit (ISO 4217: cents for EUR and
USD, whole yen for JPY), so no figure is ever rounded twice. Tax is a rate in basis
points (1900 = 19 %), either inside the prices (inclusive: the VAT a European receipt
shows) or added on top (exclusive: a US sales tax). Fees are taxed like the tickets.

One line item at a time (`price_line`): today a line is a section's price times the
quantity; a ticket type or a discount only changes what the caller passes in. Rounding
is half up, once per line and per amount, so the lines add up to the total exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BASIS = 10_000  # basis points in 100 %


@dataclass(frozen=True, slots=True)
class MoneyRules:
    """An event's fees, tax and refund rule (the organizer's settings)."""

    fee_per_ticket_cents: int = 0
    fee_per_order_cents: int = 0
    tax_rate_bp: int = 0
    tax_inclusive: bool = True
    tax_label: str = ""  # "VAT", "MwSt.", "Sales tax": printed as the organizer wrote it
    refund_fees: bool = True  # a refund gives the fees back too (else the organizer keeps them)


@dataclass(frozen=True, slots=True)
class LineItem:
    """What one line sells: `quantity` tickets of `label` for `amount_cents` together."""

    label: str
    quantity: int
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Part:
    """An amount as the fan pays it (`gross`), with the tax inside it."""

    gross_cents: int
    tax_cents: int

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.tax_cents

    def __add__(self, other: Part) -> Part:
        return Part(self.gross_cents + other.gross_cents, self.tax_cents + other.tax_cents)


NOTHING = Part(0, 0)


@dataclass(frozen=True, slots=True)
class PricedLine:
    label: str
    quantity: int
    tickets: Part  # the tickets' price, tax included
    fees: Part  # the per-ticket fees of the line, tax included

    @property
    def total(self) -> Part:
        return self.tickets + self.fees


@dataclass(frozen=True, slots=True)
class Price:
    """A whole order: its lines, the per-order fee, and the sums a receipt prints."""

    lines: tuple[PricedLine, ...]
    order_fee: Part
    tax_rate_bp: int
    tax_inclusive: bool

    @property
    def tickets(self) -> Part:
        return sum((line.tickets for line in self.lines), NOTHING)

    @property
    def fees(self) -> Part:
        return sum((line.fees for line in self.lines), self.order_fee)

    @property
    def tax_cents(self) -> int:
        return self.tickets.tax_cents + self.fees.tax_cents

    @property
    def total_cents(self) -> int:
        """What the PaymentIntent asks for."""
        return self.tickets.gross_cents + self.fees.gross_cents

    def shown(self, part: Part) -> int:
        """An amount as a price list shows it: with its tax inside when prices include the
        tax, without it when the tax is added on top (then the tax is its own line)."""
        return part.gross_cents if self.tax_inclusive else part.net_cents

    def refund_cents(self, rules: MoneyRules) -> int:
        """What a refund gives back: everything, or everything but the fees (and their tax)."""
        return self.total_cents if rules.refund_fees else self.tickets.gross_cents


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def taxed(amount_cents: int, rules: MoneyRules) -> Part:
    """An amount as the organizer set it, as the fan pays it with the tax inside.

    Inclusive: the amount already is the gross; its tax is gross - gross / (1 + rate).
    Exclusive: the amount is net; the tax is net x rate, added on top.
    """
    if amount_cents < 0:
        raise ValueError("amounts are never negative")
    rate = rules.tax_rate_bp
    if rate == 0:
        return Part(amount_cents, 0)
    if rules.tax_inclusive:
        net = _half_up(amount_cents * BASIS, BASIS + rate)
        return Part(amount_cents, amount_cents - net)
    tax = _half_up(amount_cents * rate, BASIS)
    return Part(amount_cents + tax, tax)


def price_line(item: LineItem, rules: MoneyRules) -> PricedLine:
    """One line: its tickets and its per-ticket fees, each taxed and rounded on its own."""
    if item.quantity < 1:
        raise ValueError("a line sells at least one ticket")
    return PricedLine(
        label=item.label,
        quantity=item.quantity,
        tickets=taxed(item.amount_cents, rules),
        fees=taxed(rules.fee_per_ticket_cents * item.quantity, rules),
    )


def price_order(items: Sequence[LineItem], rules: MoneyRules) -> Price:
    """The whole order: every line, plus the per-order fee once."""
    return Price(
        lines=tuple(price_line(item, rules) for item in items),
        order_fee=taxed(rules.fee_per_order_cents, rules) if items else NOTHING,
        tax_rate_bp=rules.tax_rate_bp,
        tax_inclusive=rules.tax_inclusive,
    )
