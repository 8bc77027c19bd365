"""Fees and tax to the minor unit: worked examples in EUR (VAT inside the prices), USD (sales
tax on top) and JPY (no minor unit), the half-up rule, and properties over any order: the
lines add up to the total, each tax is the exact rational value rounded once."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.currencies import ISO_4217, minor_units
from app.money.pricing import LineItem, MoneyRules, Part, price_line, price_order, taxed

VAT_19 = MoneyRules(fee_per_ticket_cents=150, fee_per_order_cents=99, tax_rate_bp=1900)


def test_eur_vat_inside_the_prices() -> None:
    # 2 x 89.00 EUR, 1.50 EUR fee a ticket, 0.99 EUR an order, 19 % VAT included.
    price = price_order([LineItem("FLOOR", 2, 17_800)], VAT_19)
    line = price.lines[0]
    assert line.tickets == Part(17_800, 2_842)  # 17,800 - round(17,800 / 1.19) = 2,842
    assert line.fees == Part(300, 48)  # 300 - round(252.10) = 48
    assert price.order_fee == Part(99, 16)  # 99 - round(83.19) = 16
    assert price.total_cents == 18_199
    assert price.tax_cents == 2_906
    assert price.fees == Part(399, 64)
    assert price.shown(price.tickets) == 17_800  # VAT is inside: the list price


def test_usd_sales_tax_on_top() -> None:
    rules = MoneyRules(fee_per_ticket_cents=325, tax_rate_bp=825, tax_inclusive=False)
    price = price_order([LineItem("GA", 3, 13_500)], rules)
    assert price.lines[0].tickets == Part(14_614, 1_114)  # 1,113.75 -> 1,114
    assert price.lines[0].fees == Part(1_055, 80)  # 975 x 8.25 % = 80.4375 -> 80
    assert price.order_fee == Part(0, 0)
    assert price.total_cents == 13_500 + 1_114 + 975 + 80 == 15_669
    assert price.tax_cents == 1_194
    assert price.shown(price.tickets) == 13_500  # tax on top: the list price is net


def test_jpy_has_no_minor_unit_and_rounds_to_the_yen() -> None:
    assert minor_units("JPY") == 0
    rules = MoneyRules(fee_per_ticket_cents=330, fee_per_order_cents=220, tax_rate_bp=1000)
    price = price_order([LineItem("S", 2, 17_600)], rules)  # 2 x 8,800 yen, 10 % inside
    assert price.lines[0].tickets == Part(17_600, 1_600)
    assert price.lines[0].fees == Part(660, 60)
    assert price.order_fee == Part(220, 20)
    assert (price.total_cents, price.tax_cents) == (18_480, 1_680)
    on_top = price_order(
        [LineItem("S", 1, 1_005)], MoneyRules(tax_rate_bp=1000, tax_inclusive=False)
    )
    assert on_top.tax_cents == 101  # 100.5 yen: half up
    assert on_top.total_cents == 1_106


def test_half_up_at_the_tie_and_down_below_it() -> None:
    all_tax = MoneyRules(tax_rate_bp=10_000)  # 100 %: net is half the gross
    assert taxed(3, all_tax) == Part(3, 1)  # net 1.5 -> 2
    assert taxed(5, all_tax) == Part(5, 2)  # net 2.5 -> 3
    on_top = MoneyRules(tax_rate_bp=500, tax_inclusive=False)  # 5 %
    assert taxed(10, on_top) == Part(11, 1)  # 0.5 -> 1
    assert taxed(9, on_top) == Part(9, 0)  # 0.45 -> 0


def test_no_tax_no_fees_is_the_hold_amount() -> None:
    price = price_order([LineItem("FLOOR", 2, 10_000)], MoneyRules())
    assert (price.total_cents, price.tax_cents, price.fees.gross_cents) == (10_000, 0, 0)


def test_refund_keeps_the_fees_and_their_tax_by_the_organizers_rule() -> None:
    keep = MoneyRules(
        fee_per_ticket_cents=200,
        fee_per_order_cents=100,
        tax_rate_bp=2000,
        tax_inclusive=False,
        refund_fees=False,
    )
    price = price_order([LineItem("A", 2, 5_000)], keep)
    assert price.total_cents == 6_000 + 480 + 120  # tickets 5,000+1,000; fees 400+80; 100+20
    assert price.refund_cents(keep) == 6_000  # the tickets with their tax, not the fees
    give_back = MoneyRules(fee_per_ticket_cents=200, tax_rate_bp=2000, refund_fees=True)
    assert price.refund_cents(give_back) == price.total_cents


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        price_line(LineItem("A", 0, 100), MoneyRules())
    with pytest.raises(ValueError):
        taxed(-1, MoneyRules())


def test_iso_4217_minor_units() -> None:
    assert [minor_units(c) for c in ("EUR", "USD", "JPY", "KRW", "BHD", "KWD", "CLF")] == [
        2,
        2,
        0,
        0,
        3,
        3,
        4,
    ]
    assert minor_units("eur") == 2
    assert all(minor_units(c) in (0, 2, 3, 4) for c in ISO_4217)
    with pytest.raises(ValueError):
        minor_units("EURO")


rules_strategy = st.builds(
    MoneyRules,
    fee_per_ticket_cents=st.integers(0, 5_000),
    fee_per_order_cents=st.integers(0, 5_000),
    tax_rate_bp=st.integers(0, 10_000),
    tax_inclusive=st.booleans(),
    refund_fees=st.booleans(),
)
lines_strategy = st.lists(
    st.builds(
        LineItem, st.sampled_from(["A", "B", "C"]), st.integers(1, 20), st.integers(0, 10_000_000)
    ),
    min_size=1,
    max_size=5,
)


def exact_tax(amount: int, rules: MoneyRules) -> Fraction:
    rate = Fraction(rules.tax_rate_bp, 10_000)
    return amount * rate / (1 + rate) if rules.tax_inclusive else amount * rate


# Generation is cheap, but the suite shares the machine with servers under load.
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(rules_strategy, lines_strategy)
def test_every_order_adds_up_and_each_tax_is_rounded_once(
    rules: MoneyRules, items: list[LineItem]
) -> None:
    price = price_order(items, rules)
    listed = (
        sum(i.amount_cents for i in items)
        + rules.fee_per_ticket_cents * sum(i.quantity for i in items)
        + rules.fee_per_order_cents
    )
    taxes = (
        [line.tickets.tax_cents for line in price.lines]
        + [line.fees.tax_cents for line in price.lines]
        + [price.order_fee.tax_cents]
    )
    assert price.tax_cents == sum(taxes)
    assert price.total_cents == listed + (0 if rules.tax_inclusive else price.tax_cents)
    assert price.total_cents == sum(line.total.gross_cents for line in price.lines) + (
        price.order_fee.gross_cents
    )
    amounts = [(i.amount_cents, line.tickets) for i, line in zip(items, price.lines, strict=True)]
    amounts += [
        (rules.fee_per_ticket_cents * i.quantity, line.fees)
        for i, line in zip(items, price.lines, strict=True)
    ]
    amounts += [(rules.fee_per_order_cents, price.order_fee)]
    for amount, part in amounts:
        exact = exact_tax(amount, rules)
        # Half up: never more than half a minor unit off, and a tie goes up.
        assert abs(part.tax_cents - exact) <= Fraction(1, 2)
        assert 0 <= part.tax_cents <= part.gross_cents
    assert 0 <= price.refund_cents(rules) <= price.total_cents
