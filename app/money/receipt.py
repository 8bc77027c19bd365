"""An order's receipt as a PDF in the buyer's language: what was bought, the booking fees,
the tax inside or on top, the total paid and any refund.

The figures come from what checkout charged (order_charges), never from the event's rules
as they are now. `receipt_lines` is the receipt as text rows (tested on its own); `render`
lays them out with fpdf2. Text is set in DejaVu Sans where the system has it (every
script a name may be written in), else in the PDF core font with the characters it lacks
replaced, so a receipt is always made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent
from fpdf import FPDF

from app.core.i18n import N_, format_money, format_when, render

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
FONT_FAMILY = "DejaVu"
CORE_FAMILY = "helvetica"


@dataclass(frozen=True)
class Row:
    label: str
    amount: str = ""
    strong: bool = False


@dataclass(frozen=True)
class Receipt:
    title: str
    header: list[str]
    rows: list[Row]
    footer: list[str]


def _t(locale: str, msgid: str, **params: object) -> str:
    return render(locale, msgid, params)


def seller_lines(order: Any, locale: str) -> list[str]:
    """Who sells: the organization's legal name (else its name), its address line by line and
    its VAT id, as the owner set them in the console."""
    lines = [
        _t(
            locale,
            N_("Seller: {name}"),
            name=order.get("seller_name") or order.get("org_name") or "",
        )
    ]
    lines += [line for line in str(order.get("seller_address") or "").splitlines() if line]
    if order.get("seller_vat_id"):
        lines.append(_t(locale, N_("VAT ID: {vat_id}"), vat_id=order["seller_vat_id"]))
    return lines if order.get("seller_name") or order.get("org_name") else lines[1:]


def receipt_lines(order: Any, charges: Any | None, locale: str) -> Receipt:
    """The receipt of `order` (a receipt_order row) with its `charges` (None for an order
    sold before fees and tax existed: its amount is the tickets' price, tax-free)."""
    currency = str(order["currency"]).strip()

    def money(cents: int) -> str:
        return format_money(locale, cents, currency)

    paid_at: dt.datetime = order["confirmed_at"] or order["created_at"]
    header = [
        *seller_lines(order, locale),
        _t(locale, N_("Order {order}"), order=str(order["order_id"])[:8].upper()),
        _t(locale, N_("Date: {date}"), date=format_date(paid_at, "long", locale=locale)),
        str(order["event_name"]),
        _t(
            locale,
            N_("{when} at {venue}"),
            when=format_when(locale, order["starts_at"], order["timezone"]),
            venue=order["venue"],
        ),
        _t(
            locale,
            N_("Billed to: {name}"),
            name=" ".join(p for p in (order["buyer_name"], f"<{order['email']}>") if p),
        ),
    ]
    rows: list[Row] = []
    section = order["section_name"] or order["section_code"]
    if charges is None:
        rows.append(
            Row(
                _t(
                    locale,
                    N_("{quantity} × {section}"),
                    quantity=order["quantity"],
                    section=section,
                ),
                money(int(order["amount_cents"])),
            )
        )
    else:
        inclusive = bool(charges["tax_inclusive"])

        def shown(gross: int, tax: int) -> int:
            return gross if inclusive else gross - tax

        for line in charges["lines"]:
            label = section if line["label"] == order["section_code"] else line["label"]
            rows.append(
                Row(
                    _t(
                        locale,
                        N_("{quantity} × {section}"),
                        quantity=line["quantity"],
                        section=label,
                    ),
                    money(shown(line["tickets_cents"], line["tickets_tax_cents"])),
                )
            )
        if charges["fees_cents"]:
            rows.append(
                Row(
                    _t(locale, N_("Booking fees")),
                    money(shown(charges["fees_cents"], charges["fees_tax_cents"])),
                )
            )
        tax = int(charges["tickets_tax_cents"]) + int(charges["fees_tax_cents"])
        if charges["tax_rate_bp"]:
            rate = format_percent(
                Decimal(charges["tax_rate_bp"]) / 10_000, locale=locale, decimal_quantization=False
            )
            name = charges["tax_label"] or _t(locale, N_("Tax"))
            if inclusive:
                rows.append(
                    Row(_t(locale, N_("Included {tax} {rate}"), tax=name, rate=rate), money(tax))
                )
            else:
                rows.append(
                    Row(_t(locale, N_("Subtotal")), money(int(charges["total_cents"]) - tax))
                )
                rows.append(Row(f"{name} {rate}", money(tax)))
    paid = int(order["amount_cents"])
    rows.append(Row(_t(locale, N_("Total paid")), money(paid), strong=True))
    if order["refund_status"] == "succeeded" and order["refunded_cents"] is not None:
        rows.append(Row(_t(locale, N_("Refunded")), money(-int(order["refunded_cents"]))))
    footer = [
        _t(
            locale,
            N_("Payment reference: {reference}"),
            reference=order["payment_intent_id"] or "-",
        ),
        _t(locale, N_("Thank you for your order.")),
    ]
    return Receipt(title=_t(locale, N_("Receipt")), header=header, rows=rows, footer=footer)


def _font(pdf: FPDF) -> tuple[str, bool]:
    """The family to write with, and whether it is Unicode (else text is narrowed to
    the core font's Latin-1)."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdf.add_font(FONT_FAMILY, "", str(regular))
            pdf.add_font(FONT_FAMILY, "B", str(bold))
            return FONT_FAMILY, True
    return CORE_FAMILY, False


def render_pdf(receipt: Receipt, locale: str, created_at: dt.datetime) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(receipt.title)
    pdf.set_lang(locale)
    pdf.set_creator("Onsale")
    pdf.set_creation_date(created_at)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    family, unicode = _font(pdf)

    def text(value: str) -> str:
        if unicode:
            return value
        value = value.replace("€", "EUR").replace("×", "x").replace("\u202f", " ")
        return value.encode("latin-1", "replace").decode("latin-1")

    width = pdf.epw
    pdf.set_font(family, "B", 18)
    pdf.cell(width, 12, text(receipt.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    for line in receipt.header:
        pdf.multi_cell(width, 6, text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    for row in receipt.rows:
        if row.strong:
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
        pdf.set_font(family, "B" if row.strong else "", 12 if row.strong else 11)
        pdf.cell(width * 0.7, 8, text(row.label))
        pdf.cell(width * 0.3, 8, text(row.amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(family, "", 9)
    for line in receipt.footer:
        pdf.multi_cell(width, 5, text(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
