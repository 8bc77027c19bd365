"""An event's money rules (read, set), the price of a hold with them, and receipts.

Checkout prices the hold here (one Postgres read, off the hold path): the hold's own amount
is its line's ticket price, the event's rules add fees and tax, and the total is what the
PaymentIntent asks for. The price is written beside the order, so the receipt, the refund
and the revenue report read what was charged, not what the rules say today.
"""

from __future__ import annotations

import logging

import asyncpg

from app.core import i18n
from app.core.currencies import minor_units
from app.core.db import Conn
from app.core.errors import AppError, not_found
from app.core.i18n import N_
from app.core.resources import Resources
from app.core.security import Principal
from app.events.service import get_managed_event
from app.holds.ids import event_of_hold
from app.holds.record import HoldRecord, read_hold
from app.money import repo
from app.money.pricing import LineItem, MoneyRules, Price, price_order
from app.money.receipt import receipt_lines, render_pdf
from app.money.schemas import MoneyRulesIn, MoneyRulesOut, PriceLineOut, PriceOut
from app.tickettypes import repo as types_repo

log = logging.getLogger("onsale.money")


def _out(event_id: str, currency: str, rules: MoneyRules) -> MoneyRulesOut:
    return MoneyRulesOut(
        event_id=event_id,
        currency=currency,
        minor_units=minor_units(currency),
        fee_per_ticket_cents=rules.fee_per_ticket_cents,
        fee_per_order_cents=rules.fee_per_order_cents,
        tax_rate_bp=rules.tax_rate_bp,
        tax_inclusive=rules.tax_inclusive,
        tax_label=rules.tax_label,
        refund_fees=rules.refund_fees,
    )


async def get_rules(pool: asyncpg.Pool, principal: Principal, event_id: str) -> MoneyRulesOut:
    event = await get_managed_event(pool, principal, event_id, need="read")
    return _out(event.event_id, event.currency, await repo.money_rules(pool, event.event_id))


async def put_rules(
    pool: asyncpg.Pool, principal: Principal, event_id: str, data: MoneyRulesIn
) -> MoneyRulesOut:
    event = await get_managed_event(pool, principal, event_id)
    rules = MoneyRules(
        fee_per_ticket_cents=data.fee_per_ticket_cents,
        fee_per_order_cents=data.fee_per_order_cents,
        tax_rate_bp=data.tax_rate_bp,
        tax_inclusive=data.tax_inclusive,
        tax_label=data.tax_label.strip(),
        refund_fees=data.refund_fees,
    )
    saved = await repo.put_money_rules(pool, event.event_id, rules)
    return _out(event.event_id, event.currency, saved)


def lines_of_hold(hold: HoldRecord, names: dict[str, str] | None = None) -> list[LineItem]:
    """A hold's line items: one per ticket type (its price times its quantity, labelled
    'SECTION · type name'), or for a section without types one line of its price times the
    quantity. The lines add up to the hold's amount, as the hold script computed it: a
    discount code's reduction comes off the lines in order, never below zero."""
    parsed: list[tuple[str, int, int]] = []
    for item in hold.lines.split(",") if hold.lines else []:
        fields = [*item.split(":"), "0", "0"]
        parsed.append((fields[0], int(fields[1]), int(fields[2])))
    if not parsed or sum(q for _, q, _ in parsed) != hold.quantity:
        return [
            LineItem(label=hold.section, quantity=hold.quantity, amount_cents=hold.amount_cents)
        ]
    off = max(0, sum(a for _, _, a in parsed) - hold.amount_cents)
    items = []
    for code, count, amount in parsed:
        taken = min(off, amount)
        off -= taken
        name = (names or {}).get(code, code)
        items.append(
            LineItem(label=f"{hold.section} · {name}", quantity=count, amount_cents=amount - taken)
        )
    return items


async def price_of_hold(conn: Conn, hold: HoldRecord) -> tuple[Price, MoneyRules]:
    rules = await repo.money_rules(conn, hold.event_id)
    names: dict[str, str] = {}
    if hold.lines:
        names = {
            t.code: t.name
            for t in await types_repo.of_event(conn, hold.event_id)
            if t.section == hold.section
        }
    return price_order(lines_of_hold(hold, names), rules), rules


def price_out(price: Price, rules: MoneyRules, currency: str) -> PriceOut:
    return PriceOut(
        currency=currency,
        minor_units=minor_units(currency),
        lines=[
            PriceLineOut(
                label=line.label,
                quantity=line.quantity,
                tickets_cents=price.shown(line.tickets),
                fees_cents=price.shown(line.fees),
                tax_cents=line.total.tax_cents,
                total_cents=line.total.gross_cents,
            )
            for line in price.lines
        ],
        tickets_cents=price.shown(price.tickets),
        fees_cents=price.shown(price.fees),
        order_fee_cents=price.shown(price.order_fee),
        tax_cents=price.tax_cents,
        tax_rate_bp=price.tax_rate_bp,
        tax_inclusive=price.tax_inclusive,
        tax_label=rules.tax_label,
        total_cents=price.total_cents,
        refund_fees=rules.refund_fees,
    )


async def refund_due(conn: Conn, order_id: str, amount_cents: int) -> int:
    """What a refund of the order gives back, by the rule in force when it was bought: the
    whole amount, or the tickets' part (tax included) when the organizer keeps the fees."""
    charges = await repo.order_charges(conn, order_id)
    if charges is None or charges["refund_fees"]:
        return amount_cents
    return min(amount_cents, int(charges["tickets_cents"]))


def order_not_paid() -> AppError:
    return AppError(
        "order_not_paid",
        409,
        "Order not paid",
        N_("A receipt is made once the order is paid."),
    )


async def receipt_pdf(
    pool: asyncpg.Pool,
    principal: Principal,
    order_id: str,
    lang: str | None,
    accept_language: str | None,
) -> tuple[bytes, str]:
    """The buyer's receipt (an admin may read any) as PDF bytes, and its language: the one
    asked for, else the buyer's profile language, else the request's."""
    order = await repo.receipt_order(pool, order_id)
    if order is None or (
        str(order["user_id"]) != principal.user_id and "admin" not in principal.roles
    ):
        raise not_found("Order")
    if order["status"] not in ("confirmed", "refunded"):
        raise order_not_paid()
    locale = i18n.language(lang) or i18n.choose(order["locale"], accept_language)
    pdf = await receipt_of(pool, order, locale)
    return pdf, locale


async def receipt_of(conn: Conn, order: asyncpg.Record, locale: str) -> bytes:
    charges = await repo.order_charges(conn, str(order["order_id"]))
    made = order["confirmed_at"] or order["created_at"]
    return render_pdf(receipt_lines(order, charges, locale), locale, made)


async def receipt_for_message(conn: Conn, order_id: str, locale: str) -> bytes | None:
    """The receipt to attach to the confirmation email; None for an unknown order, or when
    it cannot be made: the tickets' email goes out without it rather than not at all (the
    fan can still download it), and the failure is logged."""
    order = await repo.receipt_order(conn, order_id)
    if order is None:
        return None
    try:
        return await receipt_of(conn, order, locale)
    except Exception:
        log.exception("receipt of order %s not made for its email", order_id)
        return None


async def price_of_own_hold(res: Resources, principal: Principal, hold_id: str) -> PriceOut:
    """What the caller's hold will cost at checkout, fees and tax included."""
    event_id = event_of_hold(hold_id)
    hold = await read_hold(res.redis, event_id, hold_id) if event_id else None
    if hold is None or hold.user_id != principal.user_id:
        raise not_found("Hold")
    price, rules = await price_of_hold(res.pool, hold)
    return price_out(price, rules, hold.currency)
