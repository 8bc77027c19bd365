"""Bodies of the console's read endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from app.ops.schemas import Stats
from app.orders.schemas import OrderStatus


class LiveSale(msgspec.Struct):
    """Everything the live sale view draws, read at `at` (poll it every 1-2 s)."""

    at: datetime
    status: str
    on_sale: bool
    stats: Stats
    orders_last_min: int
    payment_failures: int
    orders_cancelled: int
    holds_converted: int
    holds_expired: int
    holds_released: int
    # Converted holds per ended hold, 0..1; null before any hold has ended.
    hold_success: float | None


class OrderHit(msgspec.Struct):
    order_id: str
    event_id: str
    event_name: str
    email: str
    status: OrderStatus
    section: str
    quantity: int
    amount_cents: int
    currency: str
    created_at: datetime
    confirmed_at: datetime | None
    cancel_reason: str | None


class OrderHits(msgspec.Struct):
    items: list[OrderHit]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None = None


class UserOut(msgspec.Struct):
    user_id: str
    email: str
    name: str
    roles: list[str]
    totp_enabled: bool
    created_at: datetime


class UserList(msgspec.Struct):
    items: list[UserOut]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None = None


RoleName = Literal["fan", "organizer", "admin"]
