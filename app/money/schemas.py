"""msgspec bodies of the money endpoints: an event's fees and tax, a price, the revenue."""

from __future__ import annotations

from typing import Annotated

import msgspec

from app.core.rules import LINE

Cents = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]


class MoneyRulesIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An event's fees and tax. Amounts in the event currency's minor unit (cents; yen)."""

    fee_per_ticket_cents: Cents = 0
    fee_per_order_cents: Cents = 0
    tax_rate_bp: Annotated[
        int, msgspec.Meta(ge=0, le=10_000, description="Basis points: 1900 is 19 %")
    ] = 0
    tax_inclusive: Annotated[
        bool,
        msgspec.Meta(description="Prices include the tax (VAT); false adds it on top (sales tax)"),
    ] = True
    tax_label: Annotated[str, msgspec.Meta(max_length=40), LINE] = ""
    refund_fees: Annotated[
        bool, msgspec.Meta(description="A refund gives the fees back too; false keeps them")
    ] = True


class MoneyRulesOut(msgspec.Struct, kw_only=True):
    event_id: str
    currency: str
    minor_units: int  # ISO 4217 digits of the currency's minor unit (2 for EUR, 0 for JPY)
    fee_per_ticket_cents: int
    fee_per_order_cents: int
    tax_rate_bp: int
    tax_inclusive: bool
    tax_label: str
    refund_fees: bool


class PriceLineOut(msgspec.Struct, kw_only=True):
    label: str
    quantity: int
    tickets_cents: int
    fees_cents: int
    tax_cents: int
    total_cents: int


class PriceOut(msgspec.Struct, kw_only=True):
    """What a hold costs with fees and tax: the amount checkout will ask for.

    Amounts are shown as a price list shows them: with the tax inside when prices include
    it (`tax_inclusive`, then `tax_cents` is the part of the total that is tax), without it
    when it is added on top (then total = tickets + fees + tax)."""

    currency: str
    minor_units: int
    lines: list[PriceLineOut]
    tickets_cents: int
    fees_cents: int  # per-ticket and per-order fees together
    order_fee_cents: int
    tax_cents: int
    tax_rate_bp: int
    tax_inclusive: bool
    tax_label: str
    total_cents: int
    refund_fees: bool
