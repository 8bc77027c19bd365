"""What goes on the stream: outbox kinds mapped to stream types, and the message envelope.

Version 1 of the schema is `app/stream/message.v1.schema.json` (JSON Schema 2020-12); a
change that removes or retypes a field is a new version (a new `schema` value), never an
edit of this one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

SCHEMA = "onsale.stream.v1"
CONTENT_TYPE = "application/json"

# Outbox kind -> stream type. Kinds not listed (account emails, nudges, reminders) are
# private to one fan and stay off the stream.
TYPE_OF_KIND = {
    "order_confirmed": "order.confirmed",
    "order_refunded": "order.refunded",
    "order_cancelled": "order.cancelled",
    "ticket_transfer_accepted": "ticket.transferred",
    "ticket_checked_in": "ticket.checked_in",
    "sale_sold_out": "event.sold_out",
    "event_published": "event.published",
    "event_paused": "event.paused",
    "event_resumed": "event.resumed",
    "your_turn": "queue.admitted",
    "holds_created": "hold.created",
    "holds_expired": "hold.expired",
}
TYPES = frozenset(TYPE_OF_KIND.values())

# Types that are many and alike: counted per event and second, never one message per fan
# or hold. A queue.admitted row counts one admission; a hold row carries its own counts
# (app/sql/queries/stream.sql, count_hold_moves).
AGGREGATED = frozenset({"queue.admitted", "hold.created", "hold.expired"})

# Payload fields a message may carry into `data` (never a ticket code, address or name).
_DATA_FIELDS = (
    "order_id",
    "user_id",
    "transfer_id",
    "ticket_id",
    "section",
    "seq",
    "reason",
    "sold",
    "list_id",
    "gate",
    "status",
    "expires_ms",
    "entry",
    "scanned_at",
    "offline",
)


class Message(msgspec.Struct, kw_only=True):
    """One stream message (schema onsale.stream.v1)."""

    schema: str
    id: str
    type: str
    occurred_at: str
    organizer_id: str | None
    event_id: str | None
    data: dict[str, Any]


def message_id(outbox_id: int) -> str:
    """The message's id: the outbox row's, so every copy of one message carries the same."""
    return f"msg_{outbox_id}"


def routing_key(organizer_id: str | None, event_id: str | None, type_: str) -> str:
    """`<organizer>.<event>.<type>`; `_` stands for a missing organizer or event."""
    return f"{organizer_id or '_'}.{event_id or '_'}.{type_}"


def build(row: Any) -> Message | None:
    """The stream message of a claimed outbox row, or None when its kind stays off it."""
    type_ = TYPE_OF_KIND.get(row["kind"])
    if type_ is None:
        return None
    payload: dict[str, Any] = row["payload"] or {}
    data: dict[str, Any] = {k: payload[k] for k in _DATA_FIELDS if k in payload}
    if row["order_id"] is not None and type_.startswith("order."):
        data.update(
            order_id=str(row["order_id"]),
            section=row["section_code"],
            quantity=row["quantity"],
            amount_cents=row["amount_cents"],
            currency=str(row["currency"]).strip(),
        )
    created: dt.datetime = row["created_at"]
    occurred_at = created.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if type_ in AGGREGATED:
        # An aggregate names its second (a hold's, not when the count was written) and
        # only its counts.
        occurred_at = payload.get("second") or occurred_at[:19] + "Z"
        data = {"count": int(payload.get("count", 1))}
        if "seats" in payload:
            data["seats"] = int(payload["seats"])
    return Message(
        schema=SCHEMA,
        id=message_id(row["message_id"]),
        type=type_,
        occurred_at=occurred_at,
        organizer_id=str(row["organizer_id"]) if row["organizer_id"] else None,
        event_id=str(row["event_id"]) if row["event_id"] else None,
        data=data,
    )


def encode(message: Message) -> bytes:
    return msgspec.json.encode(message)


def decode(body: bytes) -> Message:
    return msgspec.json.decode(body, type=Message)
