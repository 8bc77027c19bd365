"""Fees, tax, receipts and the refund rule on real Postgres, Redis and localstripe: the
PaymentIntent asks for the total with fees and tax in EUR, USD and JPY; the fan sees that
total before paying; the receipt PDF's text carries it; a refund keeps the fees when the
organizer says so, and the revenue report adds up to Stripe's captures minus refunds."""

from __future__ import annotations

import csv
import io
from typing import Any

import pypdf
import pytest

from app.core.settings import Settings
from app.orders import finalize, refunds
from tests.support import checkout as h
from tests.support.api import Api, User, assert_problem


@pytest.fixture
def settings(settings: Settings, stripe_base: str) -> Settings:
    return h.with_stripe(settings, stripe_base)


def squash(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return squash("\n".join(page.extract_text() for page in reader.pages))


async def set_money(api: Api, org: User, event_id: str, **rules: Any) -> dict[str, Any]:
    r = await api.client.put(f"/api/v1/events/{event_id}/money", json=rules, headers=org.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def buy(
    api: Api, resources: Any, event_id: str, fan: User, quantity: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Hold, read the price the fan is shown, pay, confirm: (price, checkout)."""
    r = await h.hold(api.client, event_id, fan, quantity)
    assert r.status_code == 201, r.text
    hold_id = r.json()["hold_id"]
    r = await api.client.get(f"/api/v1/holds/{hold_id}/price", headers=fan.headers)
    assert r.status_code == 200, r.text
    price: dict[str, Any] = r.json()
    r = await h.checkout(api.client, fan, hold_id)
    assert r.status_code == 201, r.text
    paid: dict[str, Any] = r.json()
    assert await finalize.finalize_payment(resources, paid["payment_intent_id"]) == "confirmed"
    return price, paid


CASES = [
    # currency, price, quantity, rules, total, tax, receipt's total in English
    (
        "EUR",
        8_900,
        2,
        {
            "fee_per_ticket_cents": 150,
            "fee_per_order_cents": 99,
            "tax_rate_bp": 1900,
            "tax_label": "VAT",
        },
        18_199,
        2_906,
        "€181.99",
    ),
    (
        "USD",
        4_500,
        3,
        {
            "fee_per_ticket_cents": 325,
            "tax_rate_bp": 825,
            "tax_inclusive": False,
            "tax_label": "Sales tax",
        },
        15_669,
        1_194,
        "$156.69",
    ),
    (
        "JPY",
        8_800,
        2,
        {"fee_per_ticket_cents": 330, "fee_per_order_cents": 220, "tax_rate_bp": 1000},
        18_480,
        1_680,
        "¥18,480",
    ),
]


@pytest.mark.parametrize(("currency", "unit", "quantity", "rules", "total", "tax", "shown"), CASES)
async def test_the_payment_is_the_total_with_fees_and_tax_and_the_receipt_says_so(
    api: Api,
    resources: Any,
    stripe_base: str,
    currency: str,
    unit: int,
    quantity: int,
    rules: dict[str, Any],
    total: int,
    tax: int,
    shown: str,
) -> None:
    org = await api.user("organizer")
    event = await api.event(
        org,
        currency=currency,
        sections=[{"code": "FLOOR", "name": "Floor", "price_cents": unit, "capacity": 50}],
    )
    event_id = event["event_id"]
    saved = await set_money(api, org, event_id, **rules)
    assert saved["minor_units"] == (0 if currency == "JPY" else 2)
    fan = await api.user("fan")
    price, paid = await buy(api, resources, event_id, fan, quantity)

    assert (price["total_cents"], price["tax_cents"], price["currency"]) == (total, tax, currency)
    assert paid["amount_cents"] == total
    intent = h.intent(stripe_base, paid["payment_intent_id"])
    assert (intent["amount"], intent["currency"].upper()) == (total, currency)
    r = await api.client.get(f"/api/v1/orders/{paid['order_id']}", headers=fan.headers)
    assert r.json()["amount_cents"] == total

    r = await api.client.get(
        f"/api/v1/orders/{paid['order_id']}/receipt", params={"lang": "en"}, headers=fan.headers
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-language"] == "en"
    text = pdf_text(r.content)
    assert "Receipt" in text
    assert f"Total paid {shown}" in text, text


async def test_receipt_in_the_fans_language_and_only_for_the_buyer(
    api: Api, resources: Any
) -> None:
    org = await api.user("organizer")
    event = await api.event(org)
    await set_money(api, org, event["event_id"], fee_per_order_cents=100, tax_rate_bp=1900)
    fan, other = await api.user("fan"), await api.user("fan")
    _, paid = await buy(api, resources, event["event_id"], fan, 1)
    order_id = paid["order_id"]
    r = await api.client.get(
        f"/api/v1/orders/{order_id}/receipt", headers={**fan.headers, "Accept-Language": "de"}
    )
    assert r.status_code == 200, r.text
    # The fan's profile language wins over the header; a fan registered in English reads it so.
    assert r.headers["content-language"] in ("en", "de")
    r = await api.client.get(
        f"/api/v1/orders/{order_id}/receipt", params={"lang": "fr"}, headers=fan.headers
    )
    text = pdf_text(r.content)
    assert "Reçu" in text, text
    assert "51,00 €" in text, text  # 50.00 + 1.00 order fee, VAT inside
    assert_problem(
        await api.client.get(f"/api/v1/orders/{order_id}/receipt", headers=other.headers),
        404,
        "not_found",
    )
    # A pending order has no receipt yet.
    r = await h.hold(api.client, event["event_id"], other, 1)
    r = await h.checkout(api.client, other, r.json()["hold_id"], payment_method=None)
    assert r.status_code == 201, r.text
    body = assert_problem(
        await api.client.get(
            f"/api/v1/orders/{r.json()['order_id']}/receipt",
            headers={**other.headers, "Accept-Language": "de"},
        ),
        409,
        "order_not_paid",
    )
    assert body["detail"] == "Ein Beleg wird erstellt, sobald die Bestellung bezahlt ist."


async def test_money_settings_are_the_organizers_and_checked(api: Api) -> None:
    org, other, fan = await api.user("organizer"), await api.user("organizer"), await api.user()
    event = await api.event(org)
    path = f"/api/v1/events/{event['event_id']}/money"
    r = await api.client.get(path, headers=org.headers)
    assert r.status_code == 200
    assert r.json()["fee_per_ticket_cents"] == 0
    assert r.json()["refund_fees"] is True
    body = assert_problem(
        await api.client.put(path, json={"tax_rate_bp": 10_001}, headers=org.headers),
        400,
        "invalid_request",
    )
    assert body["errors"][0]["field"].endswith("tax_rate_bp")
    assert_problem(
        await api.client.put(path, json={"fee_per_ticket_cents": -1}, headers=org.headers),
        400,
        "invalid_request",
    )
    assert_problem(
        await api.client.put(path, json={"surprise": 1}, headers=org.headers),
        400,
        "invalid_request",
    )
    assert_problem(await api.client.get(path, headers=other.headers), 404, "not_found")
    assert_problem(await api.client.put(path, json={}, headers=other.headers), 404, "not_found")
    assert_problem(await api.client.get(path, headers=fan.headers), 403, "forbidden")
    r = await api.client.get(path, headers=org.headers)
    assert r.json()["tax_rate_bp"] == 0  # nothing was written by the refused requests


def stripe_net(stripe_base: str, intents: list[str]) -> int:
    """Captured minus refunded, as localstripe itself reports them."""
    total = 0
    for pi in intents:
        charge = h.intent(stripe_base, pi).get("latest_charge")
        if isinstance(charge, dict):
            charge = charge.get("id")
        found = h.stripe_get(stripe_base, f"/v1/charges/{charge}")
        if found.get("captured") and found.get("status") == "succeeded":
            total += int(found.get("amount_captured") or found["amount"])
        for refund in h.stripe_get(stripe_base, "/v1/refunds", payment_intent=pi)["data"]:
            if refund["status"] == "succeeded":
                total -= int(refund["amount"])
    return total


async def test_refunds_keep_the_fees_by_rule_and_revenue_adds_up_to_stripe(
    api: Api, resources: Any, stripe_base: str
) -> None:
    org = await api.user("organizer")
    event = await api.event(
        org,
        sections=[
            {"code": "FLOOR", "name": "Floor", "price_cents": 5_000, "capacity": 50},
            {"code": "SEATS", "name": "Seats", "price_cents": 7_000, "capacity": 50},
        ],
    )
    event_id = event["event_id"]
    # Sales tax on top, fees kept on refunds.
    await set_money(
        api,
        org,
        event_id,
        fee_per_ticket_cents=200,
        fee_per_order_cents=100,
        tax_rate_bp=2000,
        tax_inclusive=False,
        refund_fees=False,
    )
    fans = [await api.user("fan") for _ in range(3)]
    bought = [
        await buy(api, resources, event_id, fan, q) for fan, q in zip(fans, [1, 2, 3], strict=True)
    ]
    # 1 x 50.00 + fees 2.00 + 1.00 + 20 % = 63.60; 2 x: 100 + 4 + 1 = 105 * 1.2 = 126.00
    assert [p["total_cents"] for p, _ in bought] == [6_360, 12_600, 18_840]
    assert bought[0][0]["refund_fees"] is False

    # The organizer refunds the 2-ticket order: the tickets and their tax, not the fees.
    refunded = bought[1][1]
    r = await api.client.post(
        f"/api/v1/orders/{refunded['order_id']}/refund", json={}, headers=org.headers
    )
    assert r.status_code == 202, r.text
    assert await refunds.refund_order(resources, refunded["order_id"]) == "refunded"
    stripe_refunds = h.stripe_get(
        stripe_base, "/v1/refunds", payment_intent=refunded["payment_intent_id"]
    )["data"]
    assert [x["amount"] for x in stripe_refunds] == [12_000]  # 126.00 - fees 6.00 with tax

    # A refund asked for but not yet made by Stripe (its job has not run) counts nowhere.
    pending = bought[2][1]
    r = await api.client.post(
        f"/api/v1/orders/{pending['order_id']}/refund", json={}, headers=org.headers
    )
    assert r.status_code == 202, r.text

    # Later fees change: sold orders keep what they were charged.
    await set_money(api, org, event_id, fee_per_ticket_cents=999)

    r = await api.client.get(f"/api/v1/events/{event_id}/reports/revenue", headers=org.headers)
    assert r.status_code == 200, r.text
    report = r.json()
    totals = report["totals"]
    expected = stripe_net(stripe_base, [paid["payment_intent_id"] for _, paid in bought])
    assert expected == 6_360 + 12_600 + 18_840 - 12_000
    assert totals["net_cents"] == expected
    assert totals["captured_cents"] - totals["stripe_refunded_cents"] == expected
    assert totals["reconciled"] is True
    assert totals["difference_cents"] == 0
    assert totals["gross_cents"] == 6_360 + 12_600 + 18_840
    assert totals["fees_cents"] == 360 + 600 + 840  # (2 x q + 1) x 1.2 per order
    assert totals["tax_cents"] == 1_060 + 2_100 + 3_140
    assert totals["tickets_cents"] + totals["fees_cents"] == totals["gross_cents"]
    assert (totals["orders"], totals["tickets"]) == (3, 6)

    r = await api.client.get(
        f"/api/v1/events/{event_id}/reports/revenue", params={"format": "csv"}, headers=org.headers
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[-1]["section"] == "TOTAL"
    assert sum(int(row["net_cents"]) for row in rows[:-1]) == int(rows[-1]["net_cents"]) == expected

    # The refunded fan's receipt shows the refund.
    r = await api.client.get(
        f"/api/v1/orders/{refunded['order_id']}/receipt",
        params={"lang": "en"},
        headers=fans[1].headers,
    )
    text = pdf_text(r.content)
    assert "Total paid €126.00" in text, text
    assert "Refunded -€120.00" in text, text
