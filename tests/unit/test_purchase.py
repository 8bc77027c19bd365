"""A purchase survives the trip through the PaymentIntent's metadata unchanged."""

from __future__ import annotations

import uuid

from app.holds.ids import new_hold_id
from app.holds.record import HoldRecord, parse_record
from app.orders.purchase import Purchase, order_id_for
from app.payments.gateway import Intent


def test_purchase_round_trip_through_metadata() -> None:
    event_id = str(uuid.uuid4())
    hold = HoldRecord(
        hold_id=new_hold_id(event_id),
        event_id=event_id,
        user_id=str(uuid.uuid4()),
        section="FLOOR",
        quantity=2,
        amount_cents=9000,
        currency="EUR",
        status="active",
    )
    purchase = Purchase.of_hold(hold)
    assert purchase.order_id == order_id_for(hold.hold_id) == order_id_for(hold.hold_id)
    intent = Intent("pi_1", "requires_capture", 9000, "EUR", "secret", purchase.metadata())
    assert Purchase.of_intent(intent) == purchase
    assert Purchase.of_intent(Intent("pi_2", "succeeded", 1, "EUR", "s", {})) is None


def test_hold_record_parsing() -> None:
    raw = {
        "status": "active",
        "user_id": "u",
        "section": "A",
        "quantity": "2",
        "amount_cents": "100",
        "currency": "EUR",
        "expires_at_ms": "1.7e12",
    }
    record = parse_record(raw, "ev", "h1")
    assert record is not None
    assert (record.hold_id, record.event_id, record.expires_at_ms) == (
        "h1",
        "ev",
        1_700_000_000_000,
    )
    assert parse_record({}, "ev", "h1") is None
    assert parse_record({"status": "active"}, "ev", "h1") is None
