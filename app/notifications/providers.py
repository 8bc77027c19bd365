"""SMS and push go through a provider interface; the reference provider POSTs signed JSON.

A real SMS gateway or push service plugs in as another `Provider`. The reference one
sends ``{"delivery_id", "channel", "to", "title", "body", "kind", "locale"}`` to
ONSALE_SMS_URL / ONSALE_PUSH_URL with an ``Onsale-Signature`` (app.notifications.signing)
and ``Idempotency-Key: delivery-<id>`` so a receiver can drop a repeat after a crash.
"""

from __future__ import annotations

from typing import Protocol

import httpx
import msgspec

from app.notifications import signing


class SendFailed(Exception):
    """The receiver refused or could not be reached; `status` is its HTTP status if any."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


class Notice(msgspec.Struct, frozen=True):
    delivery_id: int
    channel: str
    to: str
    title: str
    body: str
    kind: str
    locale: str


class Provider(Protocol):
    async def send(self, notice: Notice) -> int:
        """Deliver the notice; the receiver's status code. Raises SendFailed."""
        ...


async def post_signed(
    client: httpx.AsyncClient, url: str, secret: str, body: bytes, headers: dict[str, str]
) -> int:
    """POST signed JSON; 2xx is success, anything else raises SendFailed."""
    try:
        response = await client.post(
            url,
            content=body,
            headers={
                "Content-Type": "application/json",
                signing.HEADER: signing.sign(secret, body),
                **headers,
            },
        )
    except httpx.HTTPError as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise SendFailed(f"HTTP {response.status_code}", response.status_code)
    return response.status_code


class SignedHttpProvider:
    """The reference SMS/push provider: signed JSON to one URL per channel."""

    def __init__(self, client: httpx.AsyncClient, url: str, secret: str) -> None:
        self.client = client
        self.url = url
        self.secret = secret

    async def send(self, notice: Notice) -> int:
        body = msgspec.json.encode(notice)
        return await post_signed(
            self.client,
            self.url,
            self.secret,
            body,
            {"Idempotency-Key": f"delivery-{notice.delivery_id}"},
        )
