"""Receipts: the rows a receipt prints in each language, and the PDF's text read back with a
PDF text extractor (pypdf) showing the same totals."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pypdf
import pytest

from app.money.pricing import LineItem, MoneyRules, price_order
from app.money.receipt import receipt_lines, render_pdf

PAID = dt.datetime(2026, 12, 7, 18, 0, tzinfo=dt.UTC)


def order_row(price_total: int, currency: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "order_id": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "status": "confirmed",
        "quantity": 2,
        "section_code": "FLOOR",
        "section_name": "Parkett",
        "amount_cents": price_total,
        "currency": currency,
        "created_at": PAID,
        "confirmed_at": PAID,
        "payment_intent_id": "pi_test_123",
        "event_name": "Sommernacht",
        "venue": "Stadthalle",
        "starts_at": PAID + dt.timedelta(days=30),
        "timezone": "Europe/Berlin",
        "buyer_name": "Jürgen Čapek",
        "email": "fan@example.org",
        "refunded_cents": None,
        "refund_status": None,
    }
    row.update(over)
    return row


def charges_row(rules: MoneyRules, items: list[LineItem]) -> dict[str, Any]:
    price = price_order(items, rules)
    return {
        "tickets_cents": price.tickets.gross_cents,
        "tickets_tax_cents": price.tickets.tax_cents,
        "fees_cents": price.fees.gross_cents,
        "fees_tax_cents": price.fees.tax_cents,
        "total_cents": price.total_cents,
        "tax_rate_bp": rules.tax_rate_bp,
        "tax_inclusive": rules.tax_inclusive,
        "tax_label": rules.tax_label,
        "refund_fees": rules.refund_fees,
        "lines": [
            {
                "label": line.label,
                "quantity": line.quantity,
                "tickets_cents": line.tickets.gross_cents,
                "tickets_tax_cents": line.tickets.tax_cents,
                "fees_cents": line.fees.gross_cents,
                "fees_tax_cents": line.fees.tax_cents,
            }
            for line in price.lines
        ],
    }


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def squash(text: str) -> str:
    """Spaces of any width as one plain space (Babel writes narrow no-break spaces)."""
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


EUR = MoneyRules(
    fee_per_ticket_cents=150, fee_per_order_cents=99, tax_rate_bp=1900, tax_label="MwSt."
)


def test_german_receipt_with_vat_inside() -> None:
    charges = charges_row(EUR, [LineItem("FLOOR", 2, 17_800)])
    receipt = receipt_lines(order_row(18_199, "EUR"), charges, "de")
    rows = {squash(r.label): r.amount for r in receipt.rows}
    assert receipt.title == "Beleg"
    assert squash(rows["2 × Parkett"]) == "178,00 €"
    assert squash(rows["Buchungsgebühren"]) == "3,99 €"
    assert squash(rows["Enthaltene MwSt. 19 %"]) == "29,06 €"
    assert squash(rows["Bezahlt"]) == "181,99 €"
    text = squash(pdf_text(render_pdf(receipt, "de", PAID)))
    for expected in ("Beleg", "181,99 €", "29,06 €", "3,99 €", "Jürgen Čapek", "Sommernacht"):
        assert expected in text, (expected, text)


def test_us_receipt_with_sales_tax_on_top_and_a_refund_without_fees() -> None:
    rules = MoneyRules(
        fee_per_ticket_cents=325, tax_rate_bp=825, tax_inclusive=False, refund_fees=False
    )
    charges = charges_row(rules, [LineItem("FLOOR", 3, 13_500)])
    order = order_row(
        15_669,
        "USD",
        quantity=3,
        section_name="General admission",
        refunded_cents=14_614,
        refund_status="succeeded",
        status="refunded",
    )
    receipt = receipt_lines(order, charges, "en")
    rows = [(squash(r.label), squash(r.amount)) for r in receipt.rows]
    assert rows == [
        ("3 × General admission", "$135.00"),
        ("Booking fees", "$9.75"),
        ("Subtotal", "$144.75"),
        ("Tax 8.25%", "$11.94"),
        ("Total paid", "$156.69"),
        ("Refunded", "-$146.14"),
    ]
    text = squash(pdf_text(render_pdf(receipt, "en", PAID)))
    for expected in ("Receipt", "$156.69", "$11.94", "-$146.14", "pi_test_123"):
        assert expected in text, (expected, text)


@pytest.mark.parametrize(
    ("locale", "title", "total"),
    [("en", "Receipt", "¥18,480"), ("fr", "Reçu", "18 480 JPY"), ("es", "Recibo", "18.480 JPY")],
)
def test_yen_receipt_in_each_language(locale: str, title: str, total: str) -> None:
    rules = MoneyRules(fee_per_ticket_cents=330, fee_per_order_cents=220, tax_rate_bp=1000)
    charges = charges_row(rules, [LineItem("FLOOR", 2, 17_600)])
    receipt = receipt_lines(order_row(18_480, "JPY"), charges, locale)
    text = squash(pdf_text(render_pdf(receipt, locale, PAID)))
    assert title in text
    assert squash(total) in text, text


def test_an_order_from_before_fees_is_its_amount_tax_free() -> None:
    receipt = receipt_lines(order_row(10_000, "EUR"), None, "en")
    assert [(r.label, r.amount) for r in receipt.rows] == [
        ("2 × Parkett", "€100.00"),
        ("Total paid", "€100.00"),
    ]
